# shellcheck shell=sh
# The jail parameters of FreeBSD 15.0, for the fake jail(8) and jls(8): jail(8) "Jail
# Parameters" (usr.sbin/jail/jail.8, freebsd/freebsd-src; read in the copy of jail.8 dated
# December 4, 2025 in the 5BSD/5BSD mirror of freebsd-src main, since the GitHub index holds no
# releng/15.0 copy) with the kernel's names in sys/kern/kern_jail.c. Booleans also exist in their
# "no" form, made by libjail's noname(): "no" before the last dot-separated word
# (allow.mount.fdescfs -> allow.mount.nofdescfs, persist -> nopersist).

# The allow.* booleans, core and from modules (allow.mount.<fs> for each jail-friendly file
# system, allow.vmm and allow.vmm_ppt with vmm(4)), without their "allow." prefix.
jail_allow_known() {
    case $1 in
        set_hostname | sysvipc | raw_sockets | chflags | mount | mount.devfs | quotas | read_msgbuf | \
            socket_af | mlock | nfsd | reserved_ports | unprivileged_parent_tampering | \
            unprivileged_proc_debug | suser | extattr | adjtime | settime | routing | setaudit | \
            mount.fdescfs | mount.fusefs | mount.nullfs | mount.procfs | mount.linprocfs | \
            mount.linsysfs | mount.tmpfs | mount.zfs | vmm | vmm_ppt) return 0 ;;
    esac
    return 1
}

# Prints the positive name of an allow.* boolean given in either form (allow.mount.nofdescfs ->
# allow.mount.fdescfs); fails for a name the kernel does not know.
jail_allow_name() {
    _n=${1#allow.}
    if jail_allow_known "$_n"; then echo "allow.$_n"; return 0; fi
    case $_n in
        *.*) _head=${_n%.*} _last=${_n##*.} ;;
        *) _head="" _last=$_n ;;
    esac
    case $_last in no?*) ;; *) return 1 ;; esac
    _pos=${_head:+$_head.}${_last#no}
    jail_allow_known "$_pos" || return 1
    echo "allow.$_pos"
}

# The other parameters jail(8) lists, by the kind of value libjail imports for them.
jail_param_kind() {
    case $1 in
        allow.*) jail_allow_name "$1" >/dev/null && echo bool ;;
        persist | nopersist | dying | ip4.saddrsel | ip4.nosaddrsel | ip6.saddrsel | ip6.nosaddrsel) echo bool ;;
        jid | securelevel | devfs_ruleset | children.max | children.cur | enforce_statfs | cpuset.id | parent | osreldate) echo int ;;
        sysvmsg | sysvsem | sysvshm | ip4 | ip6 | host | vnet | linux) echo jailsys ;;
        name | path | ip4.addr | ip6.addr | host.hostname | host.domainname | host.hostuuid | host.hostid | \
            osrelease | linux.osname | linux.osrelease | linux.oss_version | zfs.mount_snapshot | meta | env | \
            meta.* | env.*) echo string ;;
        *) return 1 ;;
    esac
}
