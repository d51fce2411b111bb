// Preloaded into benchmark server processes (`node --import ./bench/cpu-probe.mjs ...`, spawned
// with an IPC channel): answers each message with this process's CPU time, process.cpuUsage()
// (user + system microseconds of all its threads). Plain JavaScript so that it loads before
// any TypeScript loader. The channel is unref'd so it never keeps a server from exiting.
if (process.send) {
  process.on('message', (msg) => {
    if (msg && msg.cpuUsage) process.send({ cpuUsage: process.cpuUsage() });
  });
  process.channel?.unref();
}
