/** The page's root (src/engine/pageRoot.ts) for the components: made once by src/main.tsx, read with `usePage()`. */
import { createContext, useContext } from 'react';
import type { PageRoot } from '../engine/pageRoot';

export const PageContext = createContext<PageRoot | null>(null);

/** The page's root; throws outside a `PageContext` provider (a component rendered without src/main.tsx's tree). */
export function usePage(): PageRoot {
  const root = useContext(PageContext);
  if (!root) throw new Error('usePage: no PageContext provider above this component');
  return root;
}
