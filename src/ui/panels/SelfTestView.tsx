/**
 * The self-test panel: the adapter and the kernel self-checks. The checks run only when the user clicks "Run
 * self-test": no link (`#p=selftest`, `?selftest=run` which opens the panel at start) starts GPU work by itself.
 * `?seed=N` replays a seed, `?only=prefix` runs a subset.
 */
import { AdapterPanel } from '../AdapterPanel';
import { SelfTestPanel } from '../SelfTestPanel';

export function SelfTestView() {
  return (
    <div className="selftest-grid">
      <AdapterPanel />
      <SelfTestPanel />
    </div>
  );
}
