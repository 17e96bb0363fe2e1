/**
 * Unit tests of the sagemaker-ssh-jupyterlab plugin and its settings schema.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  DefaultSchemaValidator,
  ISettingRegistry
} from '@jupyterlab/settingregistry';

import plugin from '../index';
import schemaFile from '../../schema/plugin.json';

const PLUGIN_ID = 'sagemaker-ssh-jupyterlab:plugin';

/** A fresh copy of schema/plugin.json as JupyterLab reads it. */
function readSchema(): ISettingRegistry.ISchema {
  return JSON.parse(JSON.stringify(schemaFile));
}

function pluginWith(
  schema: ISettingRegistry.ISchema,
  user: Record<string, unknown>
): ISettingRegistry.IPlugin {
  return {
    id: PLUGIN_ID,
    schema,
    raw: JSON.stringify(user),
    data: { composite: {}, user: {} },
    version: '0.1.0'
  };
}

describe('sagemaker-ssh-jupyterlab:plugin', () => {
  it('has the id JupyterLab loads its settings under', () => {
    expect(plugin.id).toBe(PLUGIN_ID);
  });

  it('starts automatically and only optionally needs the setting registry', () => {
    expect(plugin.autoStart).toBe(true);
    expect(plugin.requires ?? []).toHaveLength(0);
    expect(plugin.optional).toEqual([ISettingRegistry]);
    expect(typeof plugin.description).toBe('string');
  });

  it('logs the activation message and loads its settings', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {
      /* silence */
    });
    const load = jest.fn().mockResolvedValue({ composite: {} });
    try {
      plugin.activate(
        {} as JupyterFrontEnd,
        {
          load
        } as unknown as ISettingRegistry
      );
      await Promise.resolve();
      expect(log).toHaveBeenCalledWith(
        'JupyterLab extension sagemaker-ssh-jupyterlab is activated!'
      );
      expect(load).toHaveBeenCalledWith(PLUGIN_ID);
    } finally {
      log.mockRestore();
    }
  });

  it('activates without a setting registry', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {
      /* silence */
    });
    try {
      expect(() => plugin.activate({} as JupyterFrontEnd, null)).not.toThrow();
      expect(log).toHaveBeenCalledTimes(1);
    } finally {
      log.mockRestore();
    }
  });
});

describe('schema/plugin.json', () => {
  it('is a closed object schema with a title and a description', () => {
    const schema = readSchema();
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.title).toBe('SageMaker SSH');
    expect(typeof schema.description).toBe('string');
    expect((schema.description as string).length).toBeGreaterThan(0);
  });

  it("passes JupyterLab's own schema validator", () => {
    const validator = new DefaultSchemaValidator();
    expect(validator.validateData(pluginWith(readSchema(), {}))).toBeNull();
  });

  it('rejects settings it does not declare', () => {
    const validator = new DefaultSchemaValidator();
    const errors = validator.validateData(
      pluginWith(readSchema(), { notASetting: true })
    );
    expect(errors).not.toBeNull();
    expect(errors?.[0].keyword).toBe('additionalProperties');
  });
});
