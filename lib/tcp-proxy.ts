/** A loopback TCP proxy whose far side can be made to vanish: the database outages of the reliability tests and of `npm run chaos`. */
import net from 'node:net'

/**
 * A TCP proxy on 127.0.0.1:<random port> to `target`: `close()` drops every connection and
 * refuses new ones (the database "goes away"), `open()` listens on the same port again.
 */
export async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as net.AddressInfo).port
  let listening = true
  return {
    port,
    async close() {
      if (!listening) return
      listening = false
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      await closed
    },
    async open() {
      if (listening) return
      await listen(port)
      listening = true
    },
  }
}
