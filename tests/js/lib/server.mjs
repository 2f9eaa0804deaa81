// Starts the real local server for a test file: the framework-dependent build (SANDBOX_SERVER_DLL, else the Debug build
// that `dotnet test` makes), a free port, a throw-away data directory; stops it with SIGTERM and removes what it left.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function serverDll() {
  const dll = process.env.SANDBOX_SERVER_DLL ?? join(repoRoot, "src/Sandbox.Server/bin/Debug/net10.0/Sandbox.Server.dll");
  if (!existsSync(dll)) throw new Error(`${dll} does not exist: run dotnet build src/Sandbox.Server (or set SANDBOX_SERVER_DLL)`);
  return dll;
}

/** A running server: `endpoint` (http://127.0.0.1:PORT), `apiKey`, `dataDir`, `stop()`. */
export async function startServer({ timeoutMs = 60_000 } = {}) {
  const dataDir = mkdtempSync("/var/tmp/sandbox-js-tests-");
  const child = spawn("dotnet", [serverDll(), "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--ttl-granularity", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DOTNET_NOLOGO: "1" },
  });
  let log = "";
  child.stderr.on("data", (d) => { log += d; });
  // The server's machine-readable ready line: {"event":"ready","endpoint":...} (src/Sandbox.Server.Launcher/ServerReady.cs).
  const endpoint = await new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no ready line within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    child.stdout.on("data", (d) => {
      log += d;
      for (const line of log.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const ready = JSON.parse(line);
          if (ready.event === "ready") { clearTimeout(timer); resolveReady(ready.endpoint); return; }
        } catch { /* a partial line: wait for the rest */ }
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the server exited with ${code}:\n${log}`)); });
  });
  const apiKey = readFileSync(join(dataDir, "api-key"), "utf8").trim();

  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killed);
    }
    // Whatever a server that did not end cleanly left mounted under its data dir (sandboxes' filesystems), deepest first.
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4])
      .filter((m) => m && m.startsWith(dataDir + "/")).sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try { execFileSync("umount", ["-l", m]); } catch { /* already gone */ }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }

  return { endpoint, apiKey, dataDir, stop, log: () => log };
}

/** A unique resource name for one test. */
export function uniqueName(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * One server for a test file: started before its tests with a `ClientClass` client on it (`{ server, client }`, filled
 * in then); after them `cleanup(client)` runs (errors ignored) and the server stops.
 */
export function serverForFile({ before, after }, ClientClass, cleanup) {
  const ctx = {};
  before(async () => {
    ctx.server = await startServer();
    ctx.client = new ClientClass({ apiEndpoint: `${ctx.server.endpoint}/v2/sandboxes`, apiKey: ctx.server.apiKey, maxRetries: 0 });
  });
  after(async () => {
    if (ctx.client) await cleanup(ctx.client).catch(() => {});
    await ctx.server?.stop();
  });
  return ctx;
}
