// raw.mjs: raw TCP clients for the HTTP tests, for what curl will not send.
//   node tests/http/raw.mjs send PORT [HOST]
//     writes stdin, byte for byte, to HOST:PORT (default 127.0.0.1) and
//     prints whatever comes back until the server closes (5 s at most).
//   node tests/http/raw.mjs hold PORT N SECONDS
//     opens N connections, sends each an unfinished request (headers
//     never end), holds them SECONDS, then prints "opened N, open M":
//     how many connected and how many the server still kept open.
import net from 'node:net';

const [mode, port, a3, a4] = process.argv.slice(2);

if (mode === 'send') {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const sock = net.connect(Number(port), a3 || '127.0.0.1', () => {
      sock.write(Buffer.concat(chunks));
    });
    const timer = setTimeout(() => sock.destroy(), 5000);
    sock.on('data', (d) => process.stdout.write(d));
    sock.on('error', () => {});
    sock.on('close', () => clearTimeout(timer));
  });
} else if (mode === 'hold') {
  const n = Number(a3);
  let nOpened = 0;
  let nOpen = 0;
  const socks = [];
  for (let i = 0; i < n; i++) {
    let bUp = false;
    const s = net.connect(Number(port), '127.0.0.1', () => {
      bUp = true;
      nOpened++;
      nOpen++;
      s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (bUp) nOpen--;
    });
    socks.push(s);
  }
  setTimeout(() => {
    console.log(`opened ${nOpened}, open ${nOpen}`);
    for (const s of socks) s.destroy();
  }, Number(a4) * 1000);
} else {
  console.error('usage: raw.mjs send PORT [HOST] | hold PORT N SECONDS');
  process.exit(2);
}
