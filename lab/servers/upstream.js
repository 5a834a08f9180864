#!/usr/bin/env node
// Small upstreams for the resetscope lab. One process = one behaviour:
//   node upstream.js MODE PORT [ARG]
// Modes:
//   ok        HTTP/1.1 200 for everything (ARG: keepAliveTimeout ms, default 5000)
//   slow      HTTP/1.1 200 after ARG ms (default 3000)
//   stream    HTTP/1.1 200, a body of ARG KiB (default 2048) written 32 KiB every 20 ms
//   reset     TCP: read the request, then RST (socket.resetAndDestroy(), SO_LINGER 0)
//   close     TCP: read the request, then FIN without a byte of response
//   hold      TCP: read the request, never answer (the lab kills it)
//   h2c       cleartext HTTP/2 only (prior knowledge), 200 for every stream
//   goaway    cleartext HTTP/2: GOAWAY(last_stream_id 0, ARG: error code, default 0) on connect, then close
//   refused   cleartext HTTP/2: every stream is reset with RST_STREAM REFUSED_STREAM (7)
//   h2tls     HTTP/2 over TLS, ALPN h2 only (allowHTTP1: false); ARG = dir with key.pem/cert.pem
// Prints "listening MODE PORT" on stdout when ready. Exits on SIGTERM.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';

const [mode, portArg, arg] = process.argv.slice(2);
const port = Number(portArg);
const host = process.env.BIND || '0.0.0.0';
const ready = () => console.log(`listening ${mode} ${port}`);
const body = (s) => `${s}\n`;

function tcpServer(onRequest) {
  const srv = net.createServer((sock) => {
    let buf = '';
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) { const b = buf; buf = ''; onRequest(sock, b); }
    });
  });
  srv.listen(port, host, ready);
  return srv;
}

function h2Respond(stream) {
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end(body('ok h2'));
}

let server;
switch (mode) {
  case 'ok': {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.setHeader('content-type', 'text/plain'); res.end(body(`ok ${req.method} ${req.url}`)); });
    });
    server.keepAliveTimeout = Number(arg || 5000);
    // Measured on Node 20.20: an idle keep-alive socket is closed about keepAliveTimeout + 1 s after the response.
    server.listen(port, host, ready);
    break;
  }
  case 'slow': {
    const delay = Number(arg || 3000);
    server = http.createServer((req, res) => {
      req.resume();
      const t = setTimeout(() => res.end(body('slow ok')), delay);
      res.on('close', () => clearTimeout(t));
    });
    server.listen(port, host, ready);
    break;
  }
  case 'stream': {
    const chunks = Math.ceil(Number(arg || 2048) / 32);
    const chunk = Buffer.alloc(32 * 1024, 'x');
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(chunks * chunk.length) });
      let sent = 0;
      const t = setInterval(() => {
        if (sent++ >= chunks) { clearInterval(t); res.end(); return; }
        res.write(chunk);
      }, 20);
      res.on('close', () => clearInterval(t));
    });
    server.listen(port, host, ready);
    break;
  }
  case 'reset':
    server = tcpServer((sock) => sock.resetAndDestroy());
    break;
  case 'close':
    server = tcpServer((sock) => sock.end());
    break;
  case 'hold':
    server = tcpServer(() => {});
    break;
  case 'h2c': {
    // nghttp2 sends its SETTINGS as soon as it has the socket; a busy proxy may read those 9 bytes
    // before writing its request (nginx then takes them as an HTTP/0.9 reply, status 009). To make the
    // run deterministic the socket is handed to the HTTP/2 server only once the client has spoken.
    const h2 = http2.createServer();
    h2.on('stream', h2Respond);
    h2.on('sessionError', () => {});
    server = net.createServer((sock) => sock.once('readable', () => h2.emit('connection', sock)));
    server.listen(port, host, ready);
    break;
  }
  case 'goaway': {
    // A draining server: GOAWAY as soon as a connection arrives, before any stream is processed, so
    // last_stream_id is 0 and the client's stream 1 is refused; then close.
    const code = Number(arg || 0);
    server = http2.createServer();
    server.on('session', (session) => {
      session.on('error', () => {});
      session.goaway(code, 0);
      setTimeout(() => session.destroy(), 50);
    });
    server.on('stream', h2Respond);
    server.listen(port, host, ready);
    break;
  }
  case 'refused': {
    server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {}); // the close below surfaces as an 'error' on our own stream
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    server.listen(port, host, ready);
    break;
  }
  case 'h2tls': {
    const dir = arg;
    server = http2.createSecureServer({
      key: fs.readFileSync(path.join(dir, 'key.pem')),
      cert: fs.readFileSync(path.join(dir, 'cert.pem')),
      allowHTTP1: false,
      ALPNProtocols: ['h2'],
    });
    server.on('stream', h2Respond);
    server.on('tlsClientError', (e) => console.log(`tlsClientError ${e.code || ''} ${e.message}`));
    server.listen(port, host, ready);
    break;
  }
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
const stop = () => { try { server.close(); } catch {} process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
