/** The workbench's panels: navigation label, one-line explanation, and whether their engine exists yet. */
import type { PanelId } from '../state/ui';

export interface PanelInfo {
  id: PanelId;
  title: string;
  /** One line: what the panel shows. */
  explain: string;
  /** False while the engine behind the panel is still being written. */
  ready: boolean;
  /** A glyph for the navigation. */
  icon: string;
}

export const PANELS: readonly PanelInfo[] = [
  { id: 'start', title: 'Start here', icon: '▶', ready: true, explain: 'New here? One click attacks a bundled image live; a second runs a short AoS fine-tune while you watch the subspace angle shrink. Then the panels, in the order to try them.' },
  { id: 'model', title: 'Model', icon: '◇', ready: true, explain: 'The CLIP model under study: where it comes from, its sizes, parameters and ONNX ops, and the prompts its text tower reads.' },
  { id: 'data', title: 'Data', icon: '▦', ready: true, explain: 'The bundled datasets and your own image folders: sizes, licences, and a preview of any split by class.' },
  { id: 'attack', title: 'Attack', icon: '✕', ready: true, explain: 'Attack the model interactively (PGD L∞/L2, APGD, C&W): live adversarial image, perturbation, probabilities and loss; batch robust accuracy; verified 8-bit PNG.' },
  { id: 'finetune', title: 'Fine-tune', icon: '↻', ready: true, explain: 'Robust fine-tuning with AoS, TeCoA, PMG-AFT or FARE on your GPU: start, pause, resume, stop; live loss terms, clean and robust accuracy, throughput.' },
  { id: 'subspaces', title: 'Subspaces', icon: '∠', ready: true, explain: 'Geometry of the features AoS aligns: principal angles between clean and adversarial image groups, image and text groups, clean and adversarial text groups; their evolution over a run; the features in 2-D.' },
  { id: 'runs', title: 'Runs', icon: '≡', ready: true, explain: 'Fine-tuning runs kept in this browser: status, clean and robust accuracy, curves compared on one chart, metrics as JSON/CSV, the fine-tuned model as ONNX.' },
  { id: 'results', title: 'Results', icon: '▤', ready: true, explain: 'Robust-evaluation results files (the committed table, or yours): accuracy with intervals per method, set and ε, paired tests, accuracy against ε, and image-by-image outcomes of two runs under attack.' },
  { id: 'selftest', title: 'Self-test', icon: '✓', ready: true, explain: 'The WebGPU adapter and every WGSL kernel checked against its CPU reference on fresh random inputs.' },
];

export function panelInfo(id: PanelId): PanelInfo {
  return PANELS.find((p) => p.id === id)!;
}
