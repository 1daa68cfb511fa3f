package run

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// acceptedBy reports whether the server has accepted the TCP connection from client to
// server.
//
// Once the handshake is done the kernel keeps a socket for the server's side of the
// connection, even while it waits in the listen queue; but until accept(2) returns it, that
// socket has no file, so no inode. The site asks the kernel about that one socket through
// NETLINK_SOCK_DIAG, as ss(8) does: a lookup by its four addresses is a hash lookup, so it
// costs the same on a quiet laptop and on a machine holding fifty thousand TIME_WAIT sockets
// after a benchmark (where reading /proc/net/tcp takes longer than the site may wait).
func acceptedBy(server, client *net.TCPAddr) (bool, error) {
	ino, err := serverInode(server, client)
	return ino != 0, err
}

// serverInode is the inode of the server's socket of the TCP connection from client to
// server, which appears in the server's /proc/PID/fd once it has accepted it; 0 until then.
func serverInode(server, client *net.TCPAddr) (uint32, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, diagLookup(server, client), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	return readInode(fd)
}

const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagNoCookie = 0xffffffff
	diagMsgState     = 1  // offset of idiag_state in struct inet_diag_msg
	diagMsgInode     = 68 // offset of idiag_inode
	tcpListen        = 10 // TCP_LISTEN
)

// diagLookup asks for the one TCP socket whose local end is server and remote end client.
func diagLookup(server, client *net.TCPAddr) []byte {
	family, src, dst := uint8(unix.AF_INET), server.IP.To4(), client.IP.To4()
	if src == nil || dst == nil {
		family, src, dst = unix.AF_INET6, server.IP.To16(), client.IP.To16()
	}
	le := binary.LittleEndian // netlink headers are in host order; Linux/Go here is little-endian
	var b []byte
	b = le.AppendUint32(b, unix.SizeofNlMsghdr+56)
	b = le.AppendUint16(b, sockDiagByFamily)
	b = le.AppendUint16(b, unix.NLM_F_REQUEST)
	b = le.AppendUint32(b, 1) // seq
	b = le.AppendUint32(b, 0) // pid: the kernel
	// struct inet_diag_req_v2: family, protocol, ext, pad, states
	b = append(b, family, unix.IPPROTO_TCP, 0, 0)
	b = le.AppendUint32(b, 0xfff) // any state
	// struct inet_diag_sockid: ports and addresses in network order
	b = binary.BigEndian.AppendUint16(b, uint16(server.Port))
	b = binary.BigEndian.AppendUint16(b, uint16(client.Port))
	b = append(b, pad16(src)...)
	b = append(b, pad16(dst)...)
	b = le.AppendUint32(b, 0) // interface
	b = le.AppendUint32(b, inetDiagNoCookie)
	b = le.AppendUint32(b, inetDiagNoCookie)
	return b
}

func pad16(ip net.IP) []byte { return append(append([]byte{}, ip...), make([]byte, 16-len(ip))...) }

// readInode reads the lookup's answer: the socket with its inode, or "no such socket"
// (ENOENT: the handshake is not even done), which counts as not accepted (0).
func readInode(fd int) (uint32, error) {
	buf := make([]byte, 8<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n < unix.SizeofNlMsghdr {
			return 0, errors.New("sock_diag: short answer")
		}
		le := binary.LittleEndian
		length := min(int(le.Uint32(buf)), n)
		data := buf[unix.SizeofNlMsghdr:length]
		switch le.Uint16(buf[4:]) {
		case unix.NLMSG_ERROR:
			if len(data) < 4 {
				return 0, errors.New("sock_diag: short error")
			}
			errno := unix.Errno(-int32(le.Uint32(data)))
			if errno == unix.ENOENT {
				return 0, nil
			}
			return 0, fmt.Errorf("sock_diag: %w", errno)
		case sockDiagByFamily:
			if len(data) < diagMsgInode+4 {
				return 0, errors.New("sock_diag: short socket")
			}
			// With no connection of these four addresses, the kernel's lookup falls back to
			// the listener on the port, which has an inode of its own: not an answer.
			if data[diagMsgState] == tcpListen {
				return 0, nil
			}
			return le.Uint32(data[diagMsgInode:]), nil
		}
	}
}
