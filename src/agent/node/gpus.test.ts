import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { discoverGpus, fakeGpus, parseDriverInformation, GpuAllocationError, GpuAllocator, gpuEnv, mergeGpuListings, parseGpuQuery, parseNvidiaSmiList, queryGpuArgs, type ExecFn, type GpuDevice } from './gpus.js';

const h100Query = `0, GPU-8a0c4e2c-1111-2222-3333-444444444440, NVIDIA H100 80GB HBM3, 81559
1, GPU-8a0c4e2c-1111-2222-3333-444444444441, NVIDIA H100 80GB HBM3, 81559
`;
const h100List = `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-8a0c4e2c-1111-2222-3333-444444444440)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-8a0c4e2c-1111-2222-3333-444444444441)
`;

// GPU 0 is split into two MIG instances; GPU 1 is whole.
const migQuery = `0, GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77, NVIDIA A100-SXM4-40GB, 40960
1, GPU-6e6cb1e7-e44e-3c3d-635e-af4e9e3c9b88, NVIDIA A100-SXM4-40GB, 40960
`;
const migList = `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)
  MIG 3g.20gb     Device  0: (UUID: MIG-c6d4f1ef-42e4-5de3-91c7-45d71585f2b1)
  MIG 2g.10gb     Device  1: (UUID: MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6e6cb1e7-e44e-3c3d-635e-af4e9e3c9b88)
`;
// Drivers before R470 printed MIG ids with the parent's uuid and the instance ids.
const oldMigList = `GPU 0: A100-SXM4-40GB (UUID: GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2)
  MIG 1g.5gb Device 0: (UUID: MIG-GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2/7/0)
`;

const execFrom =
  (outputs: Record<string, string | Error>): ExecFn =>
  async (cmd, args) => {
    const out = outputs[`${cmd} ${args.join(' ')}`];
    if (out === undefined || out instanceof Error) throw out ?? Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' });
    return out;
  };
const queryKey = `nvidia-smi ${queryGpuArgs.join(' ')}`;

describe('parsing nvidia-smi', () => {
  test('query rows: index, uuid, name, memory', () => {
    assert.deepEqual(parseGpuQuery(h100Query)[0], { index: '0', uuid: 'GPU-8a0c4e2c-1111-2222-3333-444444444440', name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 });
    assert.deepEqual(parseGpuQuery('0, GPU-x, Some, GPU, [N/A]\ngarbage\n'), [{ index: '0', uuid: 'GPU-x', name: 'Some, GPU' }]);
    assert.deepEqual(parseGpuQuery(''), []);
  });

  test('-L with MIG devices under their GPU', () => {
    const l = parseNvidiaSmiList(migList);
    assert.equal(l.length, 2);
    assert.deepEqual(l[0]!.mig, [
      { profile: '3g.20gb', index: '0', uuid: 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71585f2b1' },
      { profile: '2g.10gb', index: '1', uuid: 'MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb' },
    ]);
    assert.deepEqual(l[1]!.mig, []);
    assert.equal(parseNvidiaSmiList(oldMigList)[0]!.mig[0]!.uuid, 'MIG-GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2/7/0');
  });

  test('MIG instances replace their parent GPU', () => {
    const d = mergeGpuListings(parseGpuQuery(migQuery), parseNvidiaSmiList(migList));
    assert.deepEqual(d, [
      { id: 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71585f2b1', index: '0:0', name: 'NVIDIA A100-SXM4-40GB MIG 3g.20gb', mig: true },
      { id: 'MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb', index: '0:1', name: 'NVIDIA A100-SXM4-40GB MIG 2g.10gb', mig: true },
      { id: 'GPU-6e6cb1e7-e44e-3c3d-635e-af4e9e3c9b88', index: '1', name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, mig: false },
    ]);
  });

  test('without the query output, -L alone lists the GPUs', () => {
    assert.deepEqual(
      mergeGpuListings([], parseNvidiaSmiList(h100List)).map((g) => [g.id, g.index, g.memoryMiB]),
      [
        ['GPU-8a0c4e2c-1111-2222-3333-444444444440', '0', undefined],
        ['GPU-8a0c4e2c-1111-2222-3333-444444444441', '1', undefined],
      ],
    );
  });
});

describe('discoverGpus', () => {
  test('runs nvidia-smi through the injected exec', async () => {
    const d = await discoverGpus({ exec: execFrom({ [queryKey]: h100Query, 'nvidia-smi -L': h100List }) });
    assert.deepEqual(
      d.map((g) => [g.id, g.memoryMiB, g.mig]),
      [
        ['GPU-8a0c4e2c-1111-2222-3333-444444444440', 81559, false],
        ['GPU-8a0c4e2c-1111-2222-3333-444444444441', 81559, false],
      ],
    );
    assert.equal((await discoverGpus({ exec: execFrom({ [queryKey]: migQuery, 'nvidia-smi -L': migList }) })).length, 3);
  });

  test('output recorded on a real H100 machine: the device, its memory and its device node from the driver', async () => {
    // nvidia-smi and /proc/driver/nvidia/gpus/<bus>/information as an H100 80GB HBM3 (driver 580.159.04) printed them.
    const query = '0, GPU-faada032-4936-957d-27a8-0e2453d57445, NVIDIA H100 80GB HBM3, 81559\n';
    const list = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-faada032-4936-957d-27a8-0e2453d57445)\n';
    const info = 'Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 41\nGPU UUID: \t GPU-faada032-4936-957d-27a8-0e2453d57445\nVideo BIOS: \t 96.00.da.00.0c\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t 0000:00:06.0\nDevice Minor: \t 0\nGPU Firmware: \t 580.159.04\nGPU Excluded:\t No\n';
    assert.deepEqual([...parseDriverInformation(info)], [['GPU-faada032-4936-957d-27a8-0e2453d57445', 0]]);
    const d = await discoverGpus({ exec: execFrom({ [queryKey]: query, 'nvidia-smi -L': list }), readDriverInfo: async () => info });
    assert.deepEqual(d, [{ id: 'GPU-faada032-4936-957d-27a8-0e2453d57445', index: '0', name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, mig: false, devicePaths: ['/dev/nvidia0'] }]);
  });

  test('MIG instances use their parent GPU device node; without driver information there are none', async () => {
    const info = 'GPU UUID: \t GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77\nDevice Minor: \t 3\nGPU UUID: \t GPU-6e6cb1e7-e44e-3c3d-635e-af4e9e3c9b88\nDevice Minor: \t 1\n';
    const d = await discoverGpus({ exec: execFrom({ [queryKey]: migQuery, 'nvidia-smi -L': migList }), readDriverInfo: async () => info });
    assert.deepEqual(d.map((g) => [g.index, g.devicePaths]), [['0:0', ['/dev/nvidia3']], ['0:1', ['/dev/nvidia3']], ['1', ['/dev/nvidia1']]]);
    const noInfo = await discoverGpus({ exec: execFrom({ [queryKey]: migQuery, 'nvidia-smi -L': migList }), readDriverInfo: async () => { throw new Error('no driver'); } });
    assert.ok(noInfo.every((g) => g.devicePaths === undefined));
  });

  test('no nvidia-smi, or a failing driver, means no GPUs', async () => {
    assert.deepEqual(await discoverGpus({ exec: execFrom({}) }), []);
    const failed = new Error('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver');
    assert.deepEqual(await discoverGpus({ exec: execFrom({ [queryKey]: failed, 'nvidia-smi -L': failed }) }), []);
  });

  test('the real default exec: absent or present, it resolves to a list', async () => {
    const d = await discoverGpus();
    assert.ok(Array.isArray(d));
    for (const g of d) assert.match(g.id, /^(GPU|MIG)-/);
  });

  test('--fake-gpus gives stable simulated devices and skips discovery', async () => {
    const exec: ExecFn = async () => assert.fail('no discovery with fake GPUs');
    assert.deepEqual(
      (await discoverGpus({ fakeGpus: 2, exec })).map((g) => g.id),
      ['fake-gpu-0', 'fake-gpu-1'],
    );
    assert.deepEqual(await discoverGpus({ fakeGpus: 0, exec }), []);
    assert.deepEqual(fakeGpus(3), await discoverGpus({ fakeGpus: 3 }));
  });
});

test('gpuEnv: device ids in both variables; none hides all', () => {
  assert.deepEqual(gpuEnv(['GPU-a', 'GPU-b']), { NVIDIA_VISIBLE_DEVICES: 'GPU-a,GPU-b', CUDA_VISIBLE_DEVICES: 'GPU-a,GPU-b' });
  assert.deepEqual(gpuEnv([]), { NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' });
});

describe('GpuAllocator', () => {
  const four = (): GpuDevice[] => fakeGpus(4);

  test('allocates in device order, never one device to two pods', () => {
    const a = new GpuAllocator(four());
    assert.deepEqual(a.allocate('p1', 'c', 2), ['fake-gpu-0', 'fake-gpu-1']);
    assert.deepEqual(a.allocate('p2', 'c', 1), ['fake-gpu-2']);
    assert.throws(
      () => a.allocate('p3', 'c', 2),
      (e: unknown) => e instanceof GpuAllocationError && e.message === 'requested number of devices unavailable for nvidia.com/gpu. Requested: 2, Available: 1',
    );
    assert.deepEqual(a.freeDevices(), ['fake-gpu-3']);
    a.release('p1');
    assert.deepEqual(a.allocate('p3', 'c', 2), ['fake-gpu-0', 'fake-gpu-1']);
    assert.deepEqual(a.allocate('p4', 'c', 0), []);
  });

  test('a restarted container gets its devices back', () => {
    const a = new GpuAllocator(four());
    const first = a.allocate('p1', 'c', 2);
    assert.deepEqual(a.allocate('p1', 'c', 2), first);
    assert.equal(a.assignments().length, 1);
  });

  test('containers of one pod get distinct devices; init devices are reused after init', () => {
    const a = new GpuAllocator(four());
    assert.deepEqual(a.allocate('p', 'init1', 1, { init: true }), ['fake-gpu-0']);
    assert.deepEqual(a.allocate('p', 'init2', 2, { init: true }), ['fake-gpu-0', 'fake-gpu-1']);
    assert.deepEqual(a.allocate('p', 'app1', 1), ['fake-gpu-0']);
    assert.deepEqual(a.allocate('p', 'app2', 2), ['fake-gpu-1', 'fake-gpu-2']);
    assert.throws(() => a.allocate('other', 'c', 2), GpuAllocationError);
    assert.deepEqual(a.allocate('other', 'c', 1), ['fake-gpu-3']);
  });

  test('envFor gives the container its devices, or hides them all', () => {
    const a = new GpuAllocator(four());
    a.allocate('p', 'c', 2);
    assert.deepEqual(a.envFor('p', 'c'), gpuEnv(['fake-gpu-0', 'fake-gpu-1']));
    assert.deepEqual(a.envFor('p', 'other'), gpuEnv([]));
  });

  test('restore from assignments; conflicts and unknown devices are reported', () => {
    const a = new GpuAllocator(four());
    const troubled = a.restore([
      { podUID: 'p1', containerName: 'c', deviceIds: ['fake-gpu-1'] },
      { podUID: 'p2', containerName: 'c', deviceIds: ['fake-gpu-1', 'fake-gpu-2'] },
      { podUID: 'p3', containerName: 'c', deviceIds: ['fake-gpu-9'] },
      { podUID: 'p4', containerName: 'c', deviceIds: ['fake-gpu-3'] },
    ]);
    assert.deepEqual(troubled, ['p1', 'p2', 'p3']);
    assert.deepEqual(a.freeDevices(), ['fake-gpu-0']);
    assert.deepEqual(a.allocate('p5', 'c', 1), ['fake-gpu-0']);
    assert.deepEqual(a.allocate('p4', 'c', 1), ['fake-gpu-3'], 'restored container keeps its device');

    const b = new GpuAllocator(four());
    b.allocate('x', 'c', 1);
    assert.deepEqual(b.restore(a.assignments().filter((x) => x.podUID === 'p4')), []);
    assert.deepEqual(b.assignments(), [{ podUID: 'p4', containerName: 'c', deviceIds: ['fake-gpu-3'] }], 'restore replaces what was there');
  });

  test('devicesChanged reports pods whose devices vanished, and new devices become free', () => {
    const a = new GpuAllocator(four());
    a.allocate('p1', 'c', 1);
    a.allocate('p2', 'c', 2);
    const lost = a.devicesChanged(four().filter((d) => d.id !== 'fake-gpu-2'));
    assert.deepEqual(lost, ['p2']);
    assert.deepEqual(a.freeDevices(), ['fake-gpu-3']);
    a.release('p2');
    assert.deepEqual(a.devicesChanged(fakeGpus(5)), []);
    assert.deepEqual(a.freeDevices(), ['fake-gpu-1', 'fake-gpu-2', 'fake-gpu-3', 'fake-gpu-4']);
  });
});
