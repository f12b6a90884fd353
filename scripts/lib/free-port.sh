# free_port: a loopback TCP port nobody listens on (bound, read and released). Sourced by the scripts that start
# servers.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
