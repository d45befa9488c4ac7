// A small training program for the Capstan examples: trains its shard of a synthetic dataset for
// a few epochs, writes a JSON checkpoint after each epoch, resumes from it when restarted, and can
// be told to fail or to run out of memory. It logs one JSON line per event.
// Environment:
//   JOB_COMPLETION_INDEX  the shard (set by an Indexed Job; default 0)   SHARDS  number of shards (default 1)
//   EPOCHS (3)  STEP_MS (200: time per epoch)  CHECKPOINT_DIR (checkpoints; none when unset)
//   FAIL_INDEXES  comma-separated shards that fail once (a marker named after JOB_UID, in
//                 CHECKPOINT_DIR or else the temp dir, records that the failure happened)
//   FAIL_EXIT_CODE  exit code of that failure (default 1; e.g. 143 for a preemption a podFailurePolicy ignores)
//   FAIL_EXIT_CODES  per shard, overriding FAIL_EXIT_CODE: "1:1,2:143" (shard 1 exits 1, shard 2 exits 143)
//   ALLOCATE_MB  allocate and touch this much memory, 16 MiB per step (a runaway job), then keep it
//   GPU_CHECK  when "true", log the devices the node agent gave (NVIDIA_VISIBLE_DEVICES)
// Runs with plain Node.js (no dependencies), either as a file or as `node -e "$(TRAINER_JS)"`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const env = process.env;
const shard = Number(env.JOB_COMPLETION_INDEX || 0);
const shards = Number(env.SHARDS || 1);
const epochs = Number(env.EPOCHS || 3);
const stepMs = Number(env.STEP_MS || 200);
const dir = env.CHECKPOINT_DIR;
const log = (msg, extra) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, shard, pod: os.hostname(), ...extra }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runaway(mb) {
  const held = [];
  for (let done = 0; done < mb; done += 16) {
    const b = Buffer.alloc(16 * 1024 * 1024, 1); // alloc fills it: the pages are really touched
    held.push(b);
    log('allocated', { mib: done + 16 });
    await sleep(50);
  }
  log('holding memory', { mib: mb });
  for (;;) await sleep(1000);
}

async function main() {
  if (env.GPU_CHECK === 'true') log('devices', { NVIDIA_VISIBLE_DEVICES: env.NVIDIA_VISIBLE_DEVICES || '', CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES || '' });
  if (env.ALLOCATE_MB) return runaway(Number(env.ALLOCATE_MB));
  const ckptFile = dir ? path.join(dir, `shard-${shard}.json`) : undefined;
  let state = { shard, shards, epoch: 0, loss: 1, samples: 0 };
  if (ckptFile && fs.existsSync(ckptFile)) {
    state = JSON.parse(fs.readFileSync(ckptFile, 'utf8'));
    log('resumed from checkpoint', { epoch: state.epoch });
  }
  const failing = (env.FAIL_INDEXES || '').split(',').filter(Boolean).map(Number).includes(shard);
  const marker = path.join(dir || os.tmpdir(), `failed-once-${shard}-${env.JOB_UID || 'job'}`);
  // Deterministic synthetic data: shard i owns samples i, i+shards, ...
  for (let e = state.epoch; e < epochs; e++) {
    await sleep(stepMs);
    state.samples += Math.floor(1000 / shards);
    state.loss = Math.round(state.loss * (0.5 + 0.1 * ((shard + e) % 3)) * 1e4) / 1e4;
    state.epoch = e + 1;
    if (ckptFile) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(ckptFile + '.tmp', JSON.stringify(state));
      fs.renameSync(ckptFile + '.tmp', ckptFile);
    }
    log('epoch done', { epoch: state.epoch, epochs, loss: state.loss, checkpoint: ckptFile || null });
    if (failing && e === 0 && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, String(Date.now()));
      const perShard = new Map((env.FAIL_EXIT_CODES || '').split(',').filter(Boolean).map((p) => p.split(':').map(Number)));
      const code = perShard.get(shard) ?? Number(env.FAIL_EXIT_CODE || 1);
      log('failing as asked', { exitCode: code });
      process.exit(code);
    }
  }
  log('training complete', { epochs, loss: state.loss, samples: state.samples });
}

main().catch((err) => {
  log('training failed', { error: String(err && err.message) });
  process.exit(1);
});
