// The page's one websocket to the site, opened on first use (site/socket.go has the
// protocol). Messages sent before it opens wait for it.

export function openTransport(onEvent, onLost) {
  let socket = null;
  let pending = [];

  function connect() {
    if (socket && socket.readyState <= 1) return socket;
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url);
    socket.addEventListener("open", () => { for (const m of pending) socket.send(m); pending = []; });
    socket.addEventListener("message", (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (err) { return; }
      onEvent(e);
    });
    socket.addEventListener("close", () => {
      socket = null;
      onLost();
    });
    return socket;
  }

  return {
    send(message) {
      const data = JSON.stringify(message);
      const s = connect();
      if (s.readyState === 1) s.send(data); else pending.push(data);
    },
  };
}
