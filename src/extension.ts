/** What the main plugin provides to the others (ISmSshExtension): the model, the client, the live settings. */
import { ISignal, Signal } from '@lumino/signaling';
import type { SmSshModel } from './model';
import type { BridgeClient } from './request';
import { DEFAULT_SETTINGS } from './settings';
import type { ISmSshExtension, ISmSshSettings } from './tokens';

export class SmSshExtension implements ISmSshExtension {
  constructor(
    readonly model: SmSshModel,
    readonly client: BridgeClient
  ) {}

  get settings(): Readonly<ISmSshSettings> {
    return this._settings;
  }

  get settingsChanged(): ISignal<this, ISmSshSettings> {
    return this._settingsChanged;
  }

  /** Takes new settings; returns the previous ones. */
  setSettings(next: ISmSshSettings): ISmSshSettings {
    const previous = this._settings;
    this._settings = next;
    this._settingsChanged.emit(next);
    return previous;
  }

  private _settings: ISmSshSettings = {
    ...DEFAULT_SETTINGS,
    extraForwards: []
  };
  private readonly _settingsChanged = new Signal<this, ISmSshSettings>(this);
}
