// raw.mjs: raw TCP clients for the HTTP tests, for what curl will not send.
//   node tests/http/raw.mjs send PORT [HOST]
//     writes stdin, byte for byte, to HOST:PORT (default 127.0.0.1) and
//     prints whatever comes back until the server closes (5 s at most).
//   node tests/http/raw.mjs hold PORT N SECONDS
//     opens N connections, sends each an unfinished request (headers
//     never end), holds them SECONDS, then prints "opened N, open M":
//     how many connected and how many the server still kept open.
//   node tests/http/raw.mjs slow PORT ADDR,ADDR,... N SECONDS
//     slowloris: from each local address ADDR opens N connections that
//     send one more header line every second (the head never ends), for
//     SECONDS; then prints "opened X, closed by server Y, open Z".
//   node tests/http/raw.mjs trickle PORT SECONDS
//     sends stdin at once (a request head and part of its body), then one
//     more body byte every 100 ms for SECONDS; prints what comes back, and
//     "[closed by server]" if the server closed first.
//   node tests/http/raw.mjs pause PORT SECONDS
//     sends stdin up to a line "--PAUSE--", waits SECONDS, sends the rest,
//     and prints what comes back (10 s after that at most).
//   node tests/http/raw.mjs afterward PORT
//     sends stdin (a request head and part of a long body), reads the
//     answer until the server's end of it, then sends 64 KiB more body
//     three times, 300 ms apart, as a client still uploading would. Prints
//     the answer, then "[more body taken]" or "[reset: CODE]" when the
//     server had closed the socket under it (RST).
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
} else if (mode === 'slow') {
  const aAddr = a3.split(',');
  const n = Number(a4);
  const secs = Number(process.argv[6]);
  let nOpened = 0;
  let nClosed = 0;
  let bDone = false;
  const socks = [];
  for (const addr of aAddr) {
    for (let i = 0; i < n; i++) {
      let bUp = false;
      const s = net.connect({ port: Number(port), host: '127.0.0.1',
                              localAddress: addr }, () => {
        bUp = true;
        nOpened++;
        s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      });
      const timer = setInterval(() => {
        if (bUp && !s.destroyed) s.write('X-Slow: 1\r\n');
      }, 1000);
      s.on('error', () => {});
      s.on('close', () => {
        clearInterval(timer);
        if (bUp && !bDone) nClosed++;
      });
      socks.push(s);
    }
  }
  setTimeout(() => {
    bDone = true;
    console.log(`opened ${nOpened}, closed by server ${nClosed}, ` +
                `open ${nOpened - nClosed}`);
    for (const s of socks) s.destroy();
  }, secs * 1000);
} else if (mode === 'trickle') {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    let bDone = false;
    const sock = net.connect(Number(port), '127.0.0.1', () => {
      sock.write(Buffer.concat(chunks));
    });
    let k = 0;
    const timer = setInterval(() => {
      if (++k > Number(a3) * 10) {
        bDone = true;
        clearInterval(timer);
        sock.destroy();
        return;
      }
      if (!sock.destroyed) sock.write('x');
    }, 100);
    sock.on('data', (d) => process.stdout.write(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(timer);
      if (!bDone) console.log('\n[closed by server]');
    });
  });
} else if (mode === 'pause') {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const all = Buffer.concat(chunks);
    const mark = Buffer.from('--PAUSE--\n');
    const i = all.indexOf(mark);
    let timer = null;
    const sock = net.connect(Number(port), '127.0.0.1', () => {
      sock.write(all.subarray(0, i));
      timer = setTimeout(() => {
        if (!sock.destroyed) sock.write(all.subarray(i + mark.length));
        timer = setTimeout(() => sock.destroy(), 10000);
      }, Number(a3) * 1000);
    });
    sock.on('data', (d) => process.stdout.write(d));
    sock.on('error', () => {});
    sock.on('close', () => clearTimeout(timer));
  });
} else if (mode === 'afterward') {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    let zErr = '';
    const sock = net.connect({ port: Number(port), host: '127.0.0.1',
                               allowHalfOpen: true }, () => {
      sock.write(Buffer.concat(chunks));
    });
    sock.on('data', (d) => process.stdout.write(d));
    sock.on('error', (e) => { zErr = zErr || e.code || String(e); });
    const more = Buffer.alloc(65536, 0x61);
    sock.on('end', () => {
      let k = 0;
      const timer = setInterval(() => {
        if (k++ < 3 && !sock.destroyed) {
          sock.write(more, (e) => { if (e) zErr = zErr || e.code; });
          return;
        }
        clearInterval(timer);
        console.log(zErr ? `\n[reset: ${zErr}]` : '\n[more body taken]');
        sock.destroy();
      }, 300);
    });
    setTimeout(() => sock.destroy(), 10000).unref();
  });
} else {
  console.error('usage: raw.mjs send PORT [HOST] | hold PORT N SECONDS');
  process.exit(2);
}
