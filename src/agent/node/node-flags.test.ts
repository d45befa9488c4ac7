import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEvictionHard, parseEvictionHard, parseNodeFlags, parseNodeLabels, parseRegisterWithTaints, parseReserved } from './node-flags.js';

const str = (r: Record<string, { toString(): string } | undefined>): Record<string, string> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));

describe('--kube-reserved / --system-reserved', () => {
  test('parses cpu, memory, ephemeral-storage and pid', () => {
    const r = parseReserved('--kube-reserved', 'cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=100');
    assert.deepEqual(str(r), { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '1Gi', pid: '100' });
    assert.deepEqual(parseReserved('--system-reserved', ''), {});
  });

  test('errors name the flag', () => {
    assert.throws(() => parseReserved('--kube-reserved', 'gpu=1'), /invalid --kube-reserved "gpu=1": cannot reserve "gpu" resource/);
    assert.throws(() => parseReserved('--system-reserved', 'cpu=lots'), /invalid --system-reserved "cpu=lots": failed to parse quantity "lots" for "cpu" resource/);
    assert.throws(() => parseReserved('--system-reserved', 'memory=-1Gi'), /--system-reserved.*cannot be negative/);
    assert.throws(() => parseReserved('--kube-reserved', 'cpu'), /--kube-reserved.*malformed pair/);
  });
});

describe('--eviction-hard', () => {
  test('defaults when unset: the Linux kubelet defaults', () => {
    const t = parseEvictionHard(undefined);
    assert.deepEqual(
      t.map((x) => [x.signal, x.quantity?.toString() ?? `${Math.round((x.percentage ?? 0) * 100)}%`]),
      [
        ['memory.available', '100Mi'],
        ['nodefs.available', '10%'],
        ['nodefs.inodesFree', '5%'],
        ['imagefs.available', '15%'],
        ['imagefs.inodesFree', '5%'],
      ],
    );
    assert.equal(parseEvictionHard(defaultEvictionHard).length, 5);
  });

  test('a given value replaces the defaults; percentages are float32 fractions', () => {
    const t = parseEvictionHard('memory.available<1Gi,nodefs.available<12.5%');
    assert.equal(t.length, 2);
    assert.equal(t[0]!.quantity?.toString(), '1Gi');
    assert.equal(t[1]!.percentage, Math.fround(0.125));
    assert.equal(parseEvictionHard('nodefs.available<10%')[0]!.percentage, Math.fround(Math.fround(10) / 100));
  });

  test('empty disables, 0% and 100% drop a signal, a repeated signal takes the last value', () => {
    assert.deepEqual(parseEvictionHard(''), []);
    assert.deepEqual(parseEvictionHard('nodefs.available<0%,imagefs.available<100%'), []);
    const t = parseEvictionHard('memory.available<1Gi,memory.available<2Gi');
    assert.deepEqual(t.map((x) => x.quantity?.toString()), ['2Gi']);
  });

  test('errors name the flag', () => {
    assert.throws(() => parseEvictionHard('memory.available>1Gi'), /invalid --eviction-hard .*malformed pair/);
    assert.throws(() => parseEvictionHard('cpu.available<1'), /--eviction-hard.*unsupported eviction signal cpu.available/);
    assert.throws(() => parseEvictionHard('memory.available<0'), /--eviction-hard.*must be positive/);
    assert.throws(() => parseEvictionHard('memory.available<-1Mi'), /--eviction-hard.*must be positive/);
    assert.throws(() => parseEvictionHard('nodefs.available<150%'), /--eviction-hard.*must be <= 100%/);
    assert.throws(() => parseEvictionHard('nodefs.available<ten%'), /--eviction-hard.*invalid percentage/);
    assert.throws(() => parseEvictionHard('memory.available<1Q'), /--eviction-hard/);
  });
});

describe('--node-labels', () => {
  test('parses and validates keys and values', () => {
    assert.deepEqual(parseNodeLabels('gpu=true,example.com/tier=web,node.kubernetes.io/pool=a,empty='), {
      gpu: 'true',
      'example.com/tier': 'web',
      'node.kubernetes.io/pool': 'a',
      empty: '',
    });
    assert.deepEqual(parseNodeLabels(''), {});
  });

  test('refuses kubernetes.io labels the kubelet may not set', () => {
    assert.throws(() => parseNodeLabels('kubernetes.io/role=master'), /invalid --node-labels .*unknown 'kubernetes.io' or 'k8s.io' labels: \[kubernetes.io\/role\]/);
    assert.throws(() => parseNodeLabels('foo.k8s.io/x=y'), /--node-labels/);
    // The well-known refusal: roles cannot be self-assigned by a node.
    assert.throws(() => parseNodeLabels('node-role.kubernetes.io/worker='), /\[node-role.kubernetes.io\/worker\]/);
    assert.deepEqual(parseNodeLabels('topology.kubernetes.io/zone=z1,kubelet.kubernetes.io/a=b'), { 'topology.kubernetes.io/zone': 'z1', 'kubelet.kubernetes.io/a': 'b' });
  });

  test('invalid keys and values', () => {
    assert.throws(() => parseNodeLabels('bad key=v'), /invalid --node-labels .*invalid node labels: 'bad key'/);
    assert.throws(() => parseNodeLabels('k=bad value!'), /invalid node labels: 'bad value!'/);
    assert.throws(() => parseNodeLabels('novalue'), /--node-labels.*malformed pair/);
  });
});

describe('--register-with-taints', () => {
  test('key=value:Effect and key:Effect', () => {
    assert.deepEqual(parseRegisterWithTaints('dedicated=gpu:NoSchedule,example.com/maint:NoExecute,soft:PreferNoSchedule'), [
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'example.com/maint', effect: 'NoExecute' },
      { key: 'soft', effect: 'PreferNoSchedule' },
    ]);
    assert.deepEqual(parseRegisterWithTaints(''), []);
  });

  test('same key with different effects is allowed, the same pair twice is not', () => {
    assert.equal(parseRegisterWithTaints('a:NoSchedule,a:NoExecute').length, 2);
    assert.throws(() => parseRegisterWithTaints('a:NoSchedule,a=b:NoSchedule'), /--register-with-taints.*duplicated taints/);
  });

  test('errors name the flag', () => {
    assert.throws(() => parseRegisterWithTaints('a=b'), /invalid --register-with-taints "a=b": invalid taint spec: a=b/);
    assert.throws(() => parseRegisterWithTaints('a=b:Sometimes'), /--register-with-taints.*invalid taint effect: Sometimes/);
    assert.throws(() => parseRegisterWithTaints('a=b=c:NoSchedule'), /invalid taint spec/);
    assert.throws(() => parseRegisterWithTaints('bad key:NoSchedule'), /invalid taint spec: bad key:NoSchedule, /);
    assert.throws(() => parseRegisterWithTaints('a=bad value:NoSchedule'), /invalid taint spec/);
    assert.throws(() => parseRegisterWithTaints('a:NoSchedule-'), /--register-with-taints.*removal/);
  });
});

test('parseNodeFlags: all at once, defaults for absent flags', () => {
  const f = parseNodeFlags({ 'node-labels': 'a=b' });
  assert.deepEqual(f.kubeReserved, {});
  assert.deepEqual(f.systemReserved, {});
  assert.equal(f.evictionHard.length, 5);
  assert.deepEqual(f.nodeLabels, { a: 'b' });
  assert.deepEqual(f.registerWithTaints, []);
  assert.throws(() => parseNodeFlags({ 'kube-reserved': 'x=1' }), /--kube-reserved/);
});
