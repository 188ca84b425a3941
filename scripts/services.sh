#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB the tests talk to, if they are down.
set -euo pipefail
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "services: PostgreSQL did not start" >&2; exit 1; }
if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
        echo "services: starting MariaDB"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
        for _ in $(seq 1 60); do
            mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
fi
