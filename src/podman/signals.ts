/**
 * Signal names mean Linux's numbers to podman on every OS. podman's name table for FreeBSD
 * (containers/podman pkg/signal/signal_unix.go, built for freebsd) is Linux's, and a name given
 * to `--stop-signal`, `podman kill --signal` or an image's STOPSIGNAL is turned into that number
 * (ParseSignal, pkg/signal/signal_common.go), which ocijail hands to kill(2) unchanged. Where
 * FreeBSD numbers the signal differently (sys/sys/signal.h), the container receives another
 * signal: SIGUSR1 arrives as SIGBUS, SIGSTOP as SIGCONT. A number is passed through as it is,
 * so on FreeBSD write such a signal as its FreeBSD number.
 */
const LINUX_NUMBER: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** FreeBSD's numbers, sys/sys/signal.h. */
const FREEBSD_NUMBER: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, EMT: 7, FPE: 8, KILL: 9, BUS: 10, SEGV: 11, SYS: 12,
  PIPE: 13, ALRM: 14, TERM: 15, URG: 16, STOP: 17, TSTP: 18, CONT: 19, CHLD: 20, TTIN: 21, TTOU: 22, IO: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, INFO: 29, USR1: 30, USR2: 31,
};

const FREEBSD_NAME: ReadonlyMap<number, string> = new Map(Object.entries(FREEBSD_NUMBER).reverse().map(([n, v]) => [v, n]));

/**
 * Why `signal` (as a compose `stop_signal` or a STOPSIGNAL writes it) would not reach a FreeBSD
 * container as the signal it names, or undefined when it would (a number, or a name both
 * systems number alike).
 */
export function signalMismatchOnFreeBSD(signal: string): string | undefined {
  const s = signal.trim();
  if (/^\d+$/.test(s)) return undefined;
  const name = s.toUpperCase().replace(/^SIG/, "");
  const linux = LINUX_NUMBER[name];
  if (linux === undefined) return `${signal} is not a signal podman knows`;
  const freebsd = FREEBSD_NUMBER[name];
  if (freebsd === linux) return undefined;
  const arrives = FREEBSD_NAME.get(linux);
  const meant = freebsd === undefined ? "FreeBSD has no such signal" : `write ${freebsd}, FreeBSD's SIG${name}`;
  return `podman sends ${signal} as Linux's number ${linux}, which FreeBSD delivers as ${arrives ? `SIG${arrives}` : `signal ${linux}`}: ${meant}`;
}
