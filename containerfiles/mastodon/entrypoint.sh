#!/bin/sh
# mastodon entrypoint (web, streaming, sidekiq): check the environment the command needs, give
# the shared media directory to the mastodon user, run the command as that user. The command is
# the compose service's own, e.g.
#   bundle exec puma -C config/puma.rb                        (web, port 3000)
#   node ./streaming/index.js                                 (streaming, port 4000)
#   bundle exec sidekiq -q pull -c 25 -t 25 -g mastodon-sidekiq-pull   (a sidekiq queue set,
#                       tagged with its container name so `micropod health` can find it)
set -eu
# shellcheck source-path=SCRIPTDIR source=../base/lib.sh
. "${MICROPOD_LIBEXEC:-/usr/local/libexec/micropod}/lib.sh"

[ $# -gt 0 ] || die "no command given"
require_env LOCAL_DOMAIN DB_HOST DB_NAME DB_USER DB_PASS REDIS_HOST
case " $* " in
    *" node "* | *"/streaming/"*) ;;
    *)
        # Rails processes refuse to start without these; say which one is missing instead.
        require_env SECRET_KEY_BASE ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY \
            ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY
        ;;
esac
case " $* " in
    *" sidekiq "*)
        case " $* " in
            *" -g "*) ;;
            *) die "sidekiq needs -g <container name>: micropod health finds its process by that tag" ;;
        esac
        ;;
esac

app=${MASTODON_ROOT:-/usr/local/www/mastodon}
cd "$app"
# The media volume is created by the host; Mastodon writes into it as uid 991.
system=$app/public/system
mkdir -p "$system"
[ -n "$(find "$system" -maxdepth 0 -user mastodon)" ] || chown mastodon:mastodon "$system"

exec_as mastodon "$@"
