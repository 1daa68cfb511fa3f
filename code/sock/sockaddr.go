package sock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sockaddr turns "host:port" into the address structure bind(2) takes. The host is an IPv4
// or IPv6 literal, a name (the first IPv4 address wins, as in Go's net package), or empty
// for every IPv4 interface. The net package is borrowed for parsing and name lookup only.
func sockaddr(addr string) (unix.Sockaddr, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("address %s: bad port %q", addr, portText)
	}
	ip, err := hostIP(host)
	if err != nil {
		return nil, fmt.Errorf("address %s: %w", addr, err)
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, nil
}

func hostIP(host string) (netip.Addr, error) {
	if host == "" {
		return netip.IPv4Unspecified(), nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return netip.Addr{}, errors.New("zoned IPv6 addresses are not supported")
		}
		// ::ffff:127.0.0.1 is an IPv4 address in IPv6 clothing; bind it as IPv4.
		return ip.Unmap(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap(), nil
		}
	}
	return ips[0], nil
}

func family(sa unix.Sockaddr) int {
	if _, ok := sa.(*unix.SockaddrInet4); ok {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// localAddr asks the kernel which address fd is bound to: after binding port 0 only the
// kernel knows which port it chose.
func localAddr(fd int) (string, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", os.NewSyscallError("getsockname", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String(), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)).String(), nil
	}
	return "", fmt.Errorf("getsockname: unexpected address %T", sa)
}
