#!/usr/bin/env bash
# Meant to be sourced: `start_nginx WORK PORT NODE_A NODE_B ACCESS_LOG` runs
# Debian's nginx (installed when missing) with deploy/nginx.conf as it is
# but for its ports, a self-signed certificate made in WORK and the access
# log's path (`off` for none); its pid file is WORK/nginx/nginx.pid (send
# it TERM to stop nginx and its workers).
start_nginx() {
  local work=$1 port=$2 node_a=$3 node_b=$4 access_log=$5
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "== installing Debian's nginx" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null
  fi
  local nginx
  nginx="$(command -v nginx || echo /usr/sbin/nginx)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
  mkdir -p "$work/nginx"
  sed -e "s|127.0.0.1:8081|127.0.0.1:$node_a|; s|127.0.0.1:8082|127.0.0.1:$node_b|" \
      -e "s|listen 443 ssl;|listen 127.0.0.1:$port ssl;|" \
      -e "s|/etc/ssl/callrec/|$work/|g" \
      -e "s|/var/log/nginx/callrec.access.log callrec;|$access_log;|" \
      deploy/nginx.conf > "$work/nginx/callrec.conf"
  [ "$access_log" = off ] || sed -i "s|$access_log;|$access_log callrec;|" "$work/nginx/callrec.conf"
  cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/callrec.conf;
}
CONF
  "$nginx" -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf"
  "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.out" 2>&1 &
}
