import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers requests that Node's HTTP parser rejects before express sees them (a request line
 * or headers over the size limit, malformed HTTP) with a status and a JSON error instead of
 * a reset connection: 414 for an oversized URL, 431 for oversized headers, 400 otherwise.
 * The rest of the request is read and dropped before the socket closes, so the client gets
 * to read the answer (closing with unread input would make the kernel send a reset).
 */
export function answerClientErrors(server: Server, maxHeaderBytes: number): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && !err.rawPacket)) {
      socket.destroy();
      return;
    }
    let status = 400;
    let code = 'INVALID_ARGUMENT';
    let reason = 'BAD_HTTP_REQUEST';
    let message = `malformed HTTP request: ${err.message}`;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      // No line break yet: the request line itself (method, URL, version) is too long.
      const firstLineDone = err.rawPacket ? err.rawPacket.indexOf('\r\n') !== -1 : false;
      code = 'RESOURCE_EXHAUSTED';
      if (firstLineDone) {
        status = 431;
        reason = 'HEADERS_TOO_LARGE';
        message = `request headers too large: the request line and headers may take at most ${maxHeaderBytes} bytes`;
      } else {
        status = 414;
        reason = 'URI_TOO_LONG';
        message = `request URL too long: the request line and headers may take at most ${maxHeaderBytes} bytes; send large inputs in a POST body`;
      }
    } else if (err.code === 'HPE_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      code = 'DEADLINE_EXCEEDED';
      reason = 'REQUEST_TIMEOUT';
      message = 'the request was not received in time';
    }
    const body = JSON.stringify({ code, message, details: [{ code, message, field: status === 414 ? 'path' : '', reason }] });
    const reasonPhrase = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' }[status];
    socket.end(
      `HTTP/1.1 ${status} ${reasonPhrase}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // Read and drop what the client is still sending, for at most a second.
    socket.on('data', () => undefined);
    socket.resume();
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
