/**
 * Host side of the attack kernels (shaders/attack_*.wgsl), one file per family in ./kernels/: encoders recording into
 * a `Recorder`, and the plain CPU references (float64) the self-checks compare them with.
 *  - margin / DLR objectives on zero-shot logits, with their gradient w.r.t. the logits (attack_margin.wgsl);
 *  - worst-case bookkeeping over the evaluated points (attack_track.wgsl);
 *  - APGD record / checkpoint / momentum step (attack_apgd.wgsl);
 *  - Square-style random search proposals (attack_square.wgsl);
 *  - 8-bit snapping inside the budget (attack_snap.wgsl).
 * Every objective is oriented so that the attack maximises it.
 */
export * from './kernels/margin';
export * from './kernels/track';
export * from './kernels/apgd';
export * from './kernels/square';
export * from './kernels/snap';
