export { buildGradientGraphs, unsupportedOps, type GradientGraphs, type GradientOptions, type RecomputePolicy } from './build';
export { GradientGraphCache, Hasher, gradientCacheKey, hashModel, type CacheGetOptions, type CachedGradientGraphs } from './cache';
export { makeCtx, once, type Grad, type GradCtx, type GradRule } from './context';
export { DIFFERENTIABLE_OPS, RULES, hasGradRule } from './rules';
