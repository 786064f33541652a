// Node module hook: `import text from './x.wgsl?raw'` yields the file's text, as Vite and vitest do.
// Used by the headless runners (bench, pretraining scripts) so shaders load the same way everywhere.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
