/**
 * `withSshModel`: the framework containers of a CreateModel request point SAGEMAKER_PROGRAM at our shim, keep the
 * original in SM_SSH_ORIGINAL_PROGRAM and get the SSH environment, everything else deep-equal; containers it cannot
 * wrap are refused with what to add to the image instead. Then the shim for real, with python: imported as a serving
 * toolkit imports SAGEMAKER_PROGRAM, it is the original module (its handlers answer) and starts the stand-in
 * sm-ssh-init.sh once, detached, however often and from however many processes it is imported.
 */
import type { CreateModelInput } from '@aws-sdk/client-sagemaker';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { refusal } from '../../test/harness/refusals.js';
import { INFERENCE_SHIM, withSshModel } from './model.js';
import { clonePlain } from './wrap.js';

const run = promisify(execFile);
const VENV_PYTHON = fileURLToPath(
  new URL('../../../.venv/bin/python', import.meta.url)
);
const PYTHON = existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3';
const remote = (name: string) =>
  readFileSync(
    fileURLToPath(new URL(`../../remote/${name}`, import.meta.url)),
    'utf8'
  );
const ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
const OPTIONS = { owner: 'AIDAEXAMPLEOWNER1234' };

const MODEL: CreateModelInput = {
  ModelName: 'ssh-model-1',
  PrimaryContainer: {
    Image:
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311',
    ModelDataUrl: 's3://my-models/model.tar.gz',
    Mode: 'SingleModel',
    Environment: {
      SAGEMAKER_PROGRAM: 'inference.py',
      SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code',
      SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
      SAGEMAKER_REGION: 'us-east-1',
      TS_DEFAULT_WORKERS_PER_MODEL: '4'
    },
    ImageConfig: { RepositoryAccessMode: 'Platform' }
  },
  ExecutionRoleArn: ROLE,
  Tags: [{ Key: 'team', Value: 'ml' }],
  VpcConfig: {
    SecurityGroupIds: ['sg-0123456789abcdef0'],
    Subnets: ['subnet-0123456789abcdef0']
  },
  EnableNetworkIsolation: false
};

const OURS = {
  SAGEMAKER_PROGRAM: INFERENCE_SHIM,
  SM_SSH_ORIGINAL_PROGRAM: 'inference.py',
  SSH_OWNER_TAG: 'AIDAEXAMPLEOWNER1234',
  SSH_SSM_ROLE: 'service-role/AmazonSageMaker-ExecutionRole-20240101T000000'
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function sha256(text: string) {
  return createHash('sha256').update(text).digest('hex');
}

describe('withSshModel', () => {
  it('changes only the Environment of the container: SAGEMAKER_PROGRAM, the original program and the SSH variables', () => {
    const input = deepFreeze(clonePlain(MODEL));
    const wrapped = withSshModel(input, OPTIONS);
    const expected = clonePlain(MODEL);
    expected.PrimaryContainer!.Environment = {
      ...MODEL.PrimaryContainer!.Environment,
      ...OURS
    };
    expect(wrapped.request).toStrictEqual(expected);
    expect(input).toStrictEqual(MODEL);
    // every field but the container's Environment is deep-equal, key by key
    for (const key of Object.keys(MODEL) as (keyof CreateModelInput)[]) {
      if (key !== 'PrimaryContainer') {
        expect(wrapped.request[key]).toStrictEqual(MODEL[key]);
      }
    }
    for (const key of Object.keys(MODEL.PrimaryContainer!)) {
      if (key !== 'Environment') {
        expect((wrapped.request.PrimaryContainer as any)[key]).toStrictEqual(
          (MODEL.PrimaryContainer as any)[key]
        );
      }
    }
    expect(wrapped.modelName).toBe('ssh-model-1');
    expect(wrapped.containers).toStrictEqual([
      {
        field: 'PrimaryContainer',
        image: MODEL.PrimaryContainer!.Image,
        originalProgram: 'inference.py',
        codeDirectory: '/opt/ml/model/code'
      }
    ]);
    const shim = remote('sm_ssh_inference.py');
    const init = remote('sm-ssh-init.sh');
    expect(wrapped.codeFiles).toStrictEqual([
      {
        path: 'sm_ssh_inference.py',
        body: shim,
        bytes: Buffer.byteLength(shim),
        sha256: sha256(shim)
      },
      {
        path: 'sm-ssh-init.sh',
        body: init,
        bytes: Buffer.byteLength(init),
        sha256: sha256(init)
      }
    ]);
  });

  it('wraps every container of an inference pipeline, each with its own program', () => {
    const pipeline: CreateModelInput = {
      ModelName: 'pipeline',
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/Plain',
      Containers: [
        {
          Image: 'sklearn',
          ContainerHostname: 'pre',
          Environment: {
            SAGEMAKER_PROGRAM: 'preprocess.py',
            SAGEMAKER_SUBMIT_DIRECTORY: 's3://code/pre/sourcedir.tar.gz'
          }
        },
        {
          Image: 'xgboost',
          ContainerHostname: 'model',
          Environment: { SAGEMAKER_PROGRAM: 'serve' }
        }
      ],
      InferenceExecutionConfig: { Mode: 'Serial' }
    };
    const wrapped = withSshModel(pipeline, {
      ...OPTIONS,
      ssmRole: 'other/Role'
    });
    expect(wrapped.request.Containers!.map(c => c.Environment)).toStrictEqual([
      {
        SAGEMAKER_PROGRAM: INFERENCE_SHIM,
        SAGEMAKER_SUBMIT_DIRECTORY: 's3://code/pre/sourcedir.tar.gz',
        SM_SSH_ORIGINAL_PROGRAM: 'preprocess.py',
        SSH_OWNER_TAG: OPTIONS.owner,
        SSH_SSM_ROLE: 'other/Role'
      },
      {
        SAGEMAKER_PROGRAM: INFERENCE_SHIM,
        SM_SSH_ORIGINAL_PROGRAM: 'serve',
        SSH_OWNER_TAG: OPTIONS.owner,
        SSH_SSM_ROLE: 'other/Role'
      }
    ]);
    expect(wrapped.containers).toStrictEqual([
      {
        field: 'Containers[0]',
        image: 'sklearn',
        originalProgram: 'preprocess.py',
        codeDirectory: 's3://code/pre/sourcedir.tar.gz'
      },
      { field: 'Containers[1]', image: 'xgboost', originalProgram: 'serve' }
    ]);
    expect(wrapped.request.InferenceExecutionConfig).toStrictEqual({
      Mode: 'Serial'
    });
  });

  it('refuses a container without SAGEMAKER_PROGRAM, saying what to add to its image', () => {
    const error = refusal(() =>
      withSshModel(
        {
          ...MODEL,
          PrimaryContainer: { Image: 'my-image:1', Environment: { A: '1' } }
        },
        OPTIONS
      )
    );
    expect(error.message).toBe(
      'PrimaryContainer (my-image:1) has no Environment.SAGEMAKER_PROGRAM, so it is no framework serving container whose inference module the wrap could replace'
    );
    expect(error.hint).toContain('"sh sm-ssh-init.sh &"');
    expect(error.hint).toContain('SSH_OWNER_TAG');
    expect(error.hint).toContain('sdk/remote/README.md');
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'no ModelName',
      () => withSshModel({ ...MODEL, ModelName: undefined }, OPTIONS),
      /no ModelName/
    ],
    [
      'a ModelName that is a list',
      () =>
        withSshModel(
          { ...MODEL, ModelName: ['m'] as unknown as string },
          OPTIONS
        ),
      /^ModelName is a list, not a string$/
    ],
    [
      'a bad ModelName',
      () => withSshModel({ ...MODEL, ModelName: 'a_b' }, OPTIONS),
      /"a_b" is not a SageMaker model name/
    ],
    ['no owner', () => withSshModel(MODEL, { owner: '' }), /no owner/],
    [
      'no ExecutionRoleArn',
      () => withSshModel({ ...MODEL, ExecutionRoleArn: undefined }, OPTIONS),
      /no ExecutionRoleArn/
    ],
    [
      'network isolation',
      () => withSshModel({ ...MODEL, EnableNetworkIsolation: true }, OPTIONS),
      /EnableNetworkIsolation is true/
    ],
    [
      'no containers',
      () => withSshModel({ ModelName: 'm', ExecutionRoleArn: ROLE }, OPTIONS),
      /neither PrimaryContainer nor Containers/
    ],
    [
      'a wrapped model',
      () => withSshModel(withSshModel(MODEL, OPTIONS).request, OPTIONS),
      /already runs sm_ssh_inference.py/
    ],
    [
      'another owner in the Environment',
      () =>
        withSshModel(
          {
            ...MODEL,
            PrimaryContainer: {
              ...MODEL.PrimaryContainer,
              Environment: { SAGEMAKER_PROGRAM: 'x.py', SSH_OWNER_TAG: 'else' }
            }
          },
          OPTIONS
        ),
      /sets SSH_OWNER_TAG to "else"/
    ],
    [
      'a pipeline with one container it cannot wrap',
      () =>
        withSshModel(
          {
            ModelName: 'p',
            ExecutionRoleArn: ROLE,
            Containers: [
              { Image: 'a', Environment: { SAGEMAKER_PROGRAM: 'a.py' } },
              { Image: 'b' }
            ]
          },
          OPTIONS
        ),
      /^Containers\[1\] \(b\) has no Environment.SAGEMAKER_PROGRAM/
    ],
    [
      '100 Environment entries already',
      () =>
        withSshModel(
          {
            ...MODEL,
            PrimaryContainer: {
              Image: 'i',
              Environment: {
                SAGEMAKER_PROGRAM: 'x.py',
                ...Object.fromEntries(
                  Array.from({ length: 99 }, (_, i) => [`V${i}`, '1'])
                )
              }
            }
          },
          OPTIONS
        ),
      /103 entries .* at most 100/
    ]
  ])('refuses %s', (_, run, message) => {
    expect(refusal(run).message).toMatch(message);
  });
});

describe('sm_ssh_inference.py with python', () => {
  let code: string;
  let log: string;
  let lock: string;
  let env: Record<string, string>;
  const started: number[] = [];

  /** A stand-in for sm-ssh-init.sh: records its start and the owner it got, then runs until killed. */
  const FAKE_INIT = `#!/bin/sh
echo "started $$ owner=\${SSH_OWNER_TAG:-} sid=$(cut -d' ' -f6 /proc/$$/stat)" >>"$FAKE_INIT_LOG"
echo "fake-init: registered"
# the container's log is where its output goes; here the test's pipes must close when python ends
exec sleep 120 >/dev/null 2>&1
`;
  /** The model's own inference module, as the PyTorch inference toolkit wants one. */
  const ORIGINAL = `
import json
LABELS = ["cat", "dog"]
def model_fn(model_dir):
    return {"dir": model_dir}
def input_fn(body, content_type):
    return json.loads(body)
def predict_fn(data, model):
    return {"label": LABELS[data["x"] % 2], "model": model["dir"]}
def output_fn(prediction, accept):
    return json.dumps(prediction)
def transform_fn(model, body, content_type, accept):
    return output_fn(predict_fn(input_fn(body, content_type), model), accept)
def handle(data, context):
    return ["handled"]
class Helper:
    pass
def _private():
    return "private"
`;
  /** What a serving toolkit does: import SAGEMAKER_PROGRAM from the code directory, then call its handlers. */
  const TOOLKIT = `
import importlib, json, os, sys
sys.path.insert(0, sys.argv[1])
program = os.environ["SAGEMAKER_PROGRAM"]
module = importlib.import_module(program[:-3] if program.endswith(".py") else program)
model = module.model_fn("/opt/ml/model")
answer = module.transform_fn(model, '{"x": 3}', "application/json", "application/json")
importlib.reload(module)
print(json.dumps({
    "names": sorted(n for n in vars(module) if not n.startswith("__")),
    "answer": json.loads(answer),
    "handle": module.handle(None, None),
    "private": module._private(),
    "helper": module.Helper.__module__,
}))
`;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-ssh-inference-test-'));
    code = join(dir, 'code');
    mkdirSync(code);
    log = join(dir, 'init.log');
    lock = join(dir, 'inference.lock');
    const wrapped = withSshModel(MODEL, OPTIONS);
    for (const file of wrapped.codeFiles) {
      writeFileSync(
        join(code, file.path),
        file.path === 'sm-ssh-init.sh' ? FAKE_INIT : file.body
      );
    }
    writeFileSync(join(code, 'inference.py'), ORIGINAL);
    writeFileSync(join(dir, 'toolkit.py'), TOOLKIT);
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PYTHONDONTWRITEBYTECODE: '1',
      FAKE_INIT_LOG: log,
      SM_SSH_INFERENCE_LOCK: lock,
      ...(wrapped.request.PrimaryContainer!.Environment as Record<
        string,
        string
      >)
    };
  });

  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(join(code, '..'), { recursive: true, force: true });
  });

  function starts(): { pid: number; owner: string; sid: number }[] {
    if (!existsSync(log)) {
      return [];
    }
    return readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map(line => {
        const [, pid, owner, sid] =
          /^started (\d+) owner=(\S*) sid=(\d+)$/.exec(line)!;
        started.push(Number(pid));
        return { pid: Number(pid), owner, sid: Number(sid) };
      });
  }

  async function waitForStarts(count: number) {
    for (let tries = 0; tries < 50 && starts().length < count; tries++) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    return starts();
  }

  it('is the original module, and starts the init script once though imported twice and from four processes', async () => {
    const toolkit = join(code, '..', 'toolkit.py');
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(PYTHON, [toolkit, code], { env, encoding: 'utf8' })
      )
    );
    for (const { stdout } of runs) {
      // the init's output comes through the same pipe, in any order
      const report = JSON.parse(
        stdout.split('\n').find(line => line.startsWith('{'))!
      );
      expect(report).toEqual({
        names: expect.arrayContaining([
          'Helper',
          'LABELS',
          '_private',
          'handle',
          'input_fn',
          'json',
          'model_fn',
          'output_fn',
          'predict_fn',
          'transform_fn'
        ]),
        answer: { label: 'dog', model: '/opt/ml/model' },
        handle: ['handled'],
        private: 'private',
        helper: 'inference'
      });
    }
    const once = await waitForStarts(1);
    expect(once).toHaveLength(1);
    expect(once[0].owner).toBe(OPTIONS.owner);
    // its own session, so it outlives the worker that started it (every python above has ended)
    expect(once[0].sid).toBe(once[0].pid);
    expect(existsSync(`/proc/${once[0].pid}`)).toBe(true);
    const said = runs.map(({ stdout }) => stdout).join('');
    expect(
      said.match(/^sm-ssh-inference: started .*sm-ssh-init\.sh \(pid \d+\)$/gm)
    ).toHaveLength(1);
    // its output goes where the worker's does: the container's log
    expect(said.match(/^fake-init: registered$/gm)).toHaveLength(1);
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(once[0].pid));
  });

  it('fails the import with a clear error when SM_SSH_ORIGINAL_PROGRAM is not set', () => {
    const noOriginal = { ...env, SM_SSH_INFERENCE_LOCK: `${lock}.2` };
    delete (noOriginal as Record<string, string | undefined>)
      .SM_SSH_ORIGINAL_PROGRAM;
    let stderr = '';
    try {
      execFileSync(PYTHON, [join(code, '..', 'toolkit.py'), code], {
        env: { ...noOriginal, SM_SSH_INIT: '/bin/true' },
        encoding: 'utf8',
        stdio: 'pipe'
      });
    } catch (error) {
      stderr = (error as { stderr: string }).stderr;
    }
    expect(stderr).toMatch(
      /ImportError: sm-ssh-inference: SM_SSH_ORIGINAL_PROGRAM is not set/
    );
  });

  it('says in one line that SSH does not start when sm-ssh-init.sh is missing, and still serves', () => {
    const result = spawnSync(PYTHON, [join(code, '..', 'toolkit.py'), code], {
      env: {
        ...env,
        SM_SSH_INFERENCE_LOCK: `${lock}.3`,
        SM_SSH_INIT: join(code, 'missing.sh')
      },
      encoding: 'utf8'
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim()).answer).toEqual({
      label: 'dog',
      model: '/opt/ml/model'
    });
    expect(result.stderr.trim().split('\n')).toEqual([
      `sm-ssh-inference: error: no ${join(code, 'missing.sh')}, so SSH does not start; hint: add sm-ssh-init.sh beside sm_ssh_inference.py in the model's code directory`
    ]);
    expect(readFileSync(`${lock}.3`, 'utf8')).toBe('missing\n');
  });
});
