/**
 * A TCP proxy on 127.0.0.1 that delays every chunk by `oneWayMs` in each direction: a phone's
 * round trip to its workstation (Wi-Fi, 4G, a VPN) on a benchmark machine where the server is a
 * loopback hop away. Order is kept; partial writes wait for `drain`.
 */
import type { Socket } from "bun";

interface Pipe {
  queue: Uint8Array[];
  target: Socket<Side> | null;
}

interface Side {
  /** Where this socket's data goes. */
  out: Pipe;
  /** The other side's pipe (to this socket): flushed on drain. */
  in: Pipe;
}

function flush(pipe: Pipe): void {
  const target = pipe.target;
  if (!target) return;
  while (pipe.queue.length > 0) {
    const chunk = pipe.queue[0] as Uint8Array;
    const written = target.write(chunk);
    if (written < chunk.length) {
      pipe.queue[0] = chunk.subarray(written);
      return; // the rest on drain
    }
    pipe.queue.shift();
  }
}

function later(pipe: Pipe, chunk: Uint8Array, delayMs: number): void {
  const copy = new Uint8Array(chunk); // Bun reuses the buffer it hands to `data`
  setTimeout(() => {
    pipe.queue.push(copy);
    flush(pipe);
  }, delayMs);
}

export async function startLatencyProxy(
  upstreamPort: number,
  oneWayMs: number,
): Promise<{ port: number; stop: () => void }> {
  const server = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        const toUpstream: Pipe = { queue: [], target: null };
        const toClient: Pipe = { queue: [], target: client };
        client.data = { out: toUpstream, in: toClient };
        toUpstream.target = await Bun.connect<Side>({
          hostname: "127.0.0.1",
          port: upstreamPort,
          data: { out: toClient, in: toUpstream },
          socket: {
            data: (_upstream, chunk) => later(toClient, chunk, oneWayMs),
            drain: (upstream) => flush(upstream.data.in),
            close: () => {
              setTimeout(() => client.end(), oneWayMs);
            },
            error: () => {
              client.end();
            },
          },
        });
        flush(toUpstream);
      },
      data: (client, chunk) => later(client.data.out, chunk, oneWayMs),
      drain: (client) => flush(client.data.in),
      close: (client) => {
        setTimeout(() => client.data?.out.target?.end(), oneWayMs);
      },
      error: (client) => {
        client.data?.out.target?.end();
      },
    },
  });
  return { port: server.port, stop: () => server.stop(true) };
}
