import { ComingSoon } from '../ComingSoon';

export function RunsPanel() {
  return (
    <ComingSoon
      what="Each fine-tuning run with its configuration (as a shareable link), loss curves, clean and robust zero-shot accuracy under the chosen attack, and comparisons between methods."
      where="src/train/" engine="training engine"
    />
  );
}
