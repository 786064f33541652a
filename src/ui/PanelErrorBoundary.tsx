/**
 * One error boundary per panel: a panel that throws while rendering (a damaged stored run, a hostile import, a bug)
 * shows what failed, a "Copy details" button and a way back, while the header, the navigation and every other panel
 * keep working. The boundary is keyed by panel, so switching panels starts it afresh.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  panel: string;
  children: ReactNode;
  /** Called when the user chooses "Back to the Model panel". */
  onLeave: () => void;
}

interface State {
  error: Error | null;
  componentStack: string;
  copied: boolean;
}

export class PanelErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, componentStack: '', copied: false };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)), copied: false };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    this.setState({ componentStack: info.componentStack ?? '' });
    console.error(`panel '${this.props.panel}' failed:`, error);
  }

  private details(): string {
    const e = this.state.error;
    return [
      `AoS Workbench — the ${this.props.panel} panel failed`,
      `when: ${new Date().toISOString()}`,
      `where: ${location.pathname}${location.hash.length > 200 ? `${location.hash.slice(0, 200)}…` : location.hash}`,
      `browser: ${navigator.userAgent}`,
      `error: ${e?.name}: ${e?.message}`,
      `stack: ${e?.stack ?? '(none)'}`,
      `components: ${this.state.componentStack.trim()}`,
    ].join('\n');
  }

  private copy = async () => {
    try {
      await navigator.clipboard.writeText(this.details());
      this.setState({ copied: true });
    } catch {
      // No clipboard permission: the details stay visible below for manual copying.
      this.setState({ copied: false });
    }
  };

  override render(): ReactNode {
    const e = this.state.error;
    if (!e) return this.props.children;
    return (
      <section className="card panel-error" role="alert" data-testid="panel-error">
        <h3>This panel stopped working</h3>
        <p>
          The {this.props.panel} panel hit an error and was closed; the rest of the workbench keeps working and nothing was
          deleted. Error: <strong>{e.message || e.name}</strong>
        </p>
        <div className="row">
          <button type="button" onClick={() => this.setState({ error: null, componentStack: '', copied: false })}>Try again</button>
          <button type="button" onClick={this.copy}>{this.state.copied ? 'Copied' : 'Copy details'}</button>
          <button type="button" onClick={this.props.onLeave}>Back to the Model panel</button>
        </div>
        <details>
          <summary>Details</summary>
          <pre className="panel-error-details">{this.details()}</pre>
        </details>
      </section>
    );
  }
}

/**
 * Development builds: while `window.__aosCrashPanel` names a panel, that panel throws when it renders (e2e). It stays
 * set until cleared: React retries a failed render once before it gives up to the boundary.
 */
export function CrashProbe({ panel }: { panel: string }): null {
  if (import.meta.env?.DEV && typeof window !== 'undefined' && (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel === panel) {
    throw new Error(`deliberate crash of the ${panel} panel (window.__aosCrashPanel)`);
  }
  return null;
}
