// A page that throws while drawing shows what went wrong and leaves the navigation working.
import { Component, type ReactNode } from "react";

export class PageErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="error-note">
        <h1>This page ran into a problem</h1>
        <p>{this.state.error.message}</p>
      </div>
    );
  }
}
