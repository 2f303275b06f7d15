// Preloaded (--import) into the processes bench/scaleout.ts times: at exit, appends this
// process's CPU time (user + system, ms) to the file FUSEFLOW_BENCH_CPU_FILE names, so the bench
// can compare CPU time besides wall time on a machine other work shares.
import { appendFileSync } from 'node:fs';

const file = process.env.FUSEFLOW_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    appendFileSync(file, `${(u.user + u.system) / 1000}\n`);
  });
}
