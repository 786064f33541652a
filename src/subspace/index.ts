/**
 * Subspace linear algebra on WebGPU for subspace-alignment training (AoS): orthonormal bases, principal angles
 * (display and metrics) and SVD-free subspace losses with analytic gradients, each with a float64 reference.
 * Layout everywhere: groups of row vectors, X [groups, n, d] row-major; pairs (X [pairs, n, d], Y [pairs, m, d]).
 */
export { SUBSPACE_MAX_ROWS } from './common';
export { basis, encodeBasis, type BasisResult, type BasisShape } from './basis';
export {
  anglesWorkspace, encodePrincipalAngles, principalAngles, principalAnglesMany, type AnglesResult, type AnglesShape, type AnglesWorkspace,
} from './angles';
export {
  encodeSubspaceLoss, subspaceLoss, subspaceLossWorkspace, type SubspaceLossBuffers, type SubspaceLossOptions,
  type SubspaceLossResult, type SubspaceLossShape, type SubspaceLossWorkspace,
} from './loss';
export {
  DEFAULT_RANK_TOL, DEFAULT_RIDGE, basisGroup, basisRef, checkGradient, momentLossPair, principalAnglesPair,
  principalAnglesRef, projectionDistancePair, singularValues, subspaceLossRef,
} from './reference';
export { encodeResidualDistance, residualDistance, residualWorkspace, type ResidualBuffers, type ResidualOptions, type ResidualResult, type ResidualWorkspace } from './residual';
export { residualDistancePair, residualDistanceRef, ridgeFromSpectrum, type ResidualShape } from './residualReference';
