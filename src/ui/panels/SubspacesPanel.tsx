import { ComingSoon } from '../ComingSoon';

export function SubspacesPanel() {
  return (
    <ComingSoon
      what="Live principal angles between the clean-image, adversarial-image and text subspaces of each class (the quantities AoS aligns), their projection and second-moment distances, and how they move during fine-tuning."
      where="src/train/" engine="training engine (the subspace kernels in src/subspace/ are done)"
    />
  );
}
