import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createPageRoot } from './engine/pageRoot';
import { App } from './ui/App';
import { PageContext } from './ui/pageContext';
import './ui/app.css';

// The page's one root: the engine connection, the panels' commands and the page-side controllers.
const page = createPageRoot();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PageContext.Provider value={page}>
      <App />
    </PageContext.Provider>
  </StrictMode>,
);
