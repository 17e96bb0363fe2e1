/** The state of the setup-check view, without DOM: the last report of `GET /api/setup/check`, loading, error. */
import { ISignal, Signal } from '@lumino/signaling';
import { BridgeError } from './request';
import type { IBridgeClient, ISetupCheckResponse } from './tokens';

export class SetupCheckModel {
  constructor(private readonly client: Pick<IBridgeClient, 'setupCheck'>) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get response(): ISetupCheckResponse | null {
    return this._response;
  }

  get error(): BridgeError | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Runs the check (again); concurrent calls share one run. */
  run(): Promise<void> {
    if (this._pending) {
      return this._pending;
    }
    this._loading = true;
    this._error = null;
    this._changed.emit();
    this._pending = this.client
      .setupCheck()
      .then(
        response => {
          this._response = response;
        },
        (reason: unknown) => {
          this._error =
            reason instanceof BridgeError
              ? reason
              : new BridgeError(0, {
                  error:
                    reason instanceof Error ? reason.message : String(reason),
                  code: 'failed'
                });
        }
      )
      .finally(() => {
        this._loading = false;
        this._pending = null;
        this._changed.emit();
      });
    return this._pending;
  }

  private _response: ISetupCheckResponse | null = null;
  private _error: BridgeError | null = null;
  private _loading = false;
  private _pending: Promise<void> | null = null;
  private readonly _changed = new Signal<this, void>(this);
}

/** "1 missing, 12 OK, 0 warnings" */
export function checkSummaryText(
  summary: { ok: number; missing: number; warnings: number },
  trans: {
    __(text: string, ...args: unknown[]): string;
    _n(one: string, many: string, n: number, ...args: unknown[]): string;
  }
): string {
  return [
    trans.__('%1 missing', summary.missing),
    trans.__('%1 OK', summary.ok),
    trans._n('%1 warning', '%1 warnings', summary.warnings)
  ].join(', ');
}
