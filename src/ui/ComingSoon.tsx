/** The honest placeholder of a panel whose engine is not written yet: what it will show, where the work is. */
export function ComingSoon({ what, where, engine }: { what: string; where: string; engine: string }) {
  return (
    <div className="coming-soon" data-testid="coming-soon" role="status">
      <strong>Coming soon — engine in progress.</strong>
      <p>{what}</p>
      <p className="muted">The {engine} is being written in <code>{where}</code>. Nothing here is simulated: this space stays empty until it runs.</p>
    </div>
  );
}
