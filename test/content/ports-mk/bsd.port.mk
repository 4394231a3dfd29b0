# A stand-in for the FreeBSD ports framework (freebsd-ports Mk/bsd.port.mk), just enough for
# bmake to run a port's own recipes on Linux: the variables they use, with bsd.port.mk's
# values and meaning, and the framework steps around them (SUB_FILES, shebangfix, TMPPLIST,
# USE_RC_SUBR, man page compression). Where FreeBSD's tools differ from Debian's (install -l,
# find -E, cpio), the same effect is had with GNU tools; each such line says what it stands for.
#
#   bmake -r -m <this dir> -C <port> WRKDIR=... STAGEDIR=... stage

PREFIX?=	/usr/local
LOCALBASE?=	/usr/local
DISTVERSIONFULL?=	${DISTVERSION}
WRKSRC?=	${WRKDIR}/${PORTNAME}-${DISTVERSIONFULL}
FILESDIR?=	${.CURDIR}/files
PLIST?=		${.CURDIR}/pkg-plist
TMPPLIST?=	${WRKDIR}/.PLIST.mktmp
ETCDIR?=	${PREFIX}/etc/${PORTNAME}
DATADIR?=	${PREFIX}/share/${PORTNAME}
DOCSDIR?=	${PREFIX}/share/doc/${PORTNAME}
EXAMPLESDIR?=	${PREFIX}/share/examples/${PORTNAME}
WWWDIR?=	${PREFIX}/www/${PORTNAME}

SH=		/bin/sh
SED=		sed
FIND=		find
SORT=		sort
MKDIR=		mkdir -p
BINMODE=	555
MANMODE=	444
_SHAREMODE=	0644
INSTALL_SCRIPT=	install -m ${BINMODE}
INSTALL_DATA=	install -m ${_SHAREMODE}
INSTALL_MAN=	install -m ${MANMODE}
# bsd.port.mk: ${INSTALL} -l rs, a relative symbolic link (GNU install has no -l).
RLN=		ln -sr
# bsd.port.mk: find -Ed SRC | cpio -dumpl DEST, then directories 755 and files ${_SHAREMODE}.
COPYTREE_SHARE=	${SH} -c 'cp -R "$$1/." "$$2" && find "$$2" -type d -exec chmod 755 {} + && find "$$2" -type f -exec chmod ${_SHAREMODE} {} +' COPYTREE_SHARE

# bsd.port.mk's pairs, and its sed program: s!%%VAR%%!value!g for each, @comment lines dropped.
SUB_LIST+=	PREFIX=${PREFIX} LOCALBASE=${LOCALBASE} DATADIR=${DATADIR} DOCSDIR=${DOCSDIR} \
		EXAMPLESDIR=${EXAMPLESDIR} WWWDIR=${WWWDIR} ETCDIR=${ETCDIR}
_SUB_LIST_TEMP=	${SUB_LIST:S/$/!g/:S/^/ -e s!%%/:S/=/%%!/}
PLIST_SUB+=	ETCDIR=${ETCDIR:S,^${PREFIX}/,,} DATADIR=${DATADIR:S,^${PREFIX}/,,} \
		DOCSDIR=${DOCSDIR:S,^${PREFIX}/,,} EXAMPLESDIR=${EXAMPLESDIR:S,^${PREFIX}/,,} \
		WWWDIR=${WWWDIR:S,^${PREFIX}/,,} PORTNAME=${PORTNAME}
_PLIST_SUB_TEMP=	${PLIST_SUB:S/$/!g/:S/^/ -e s!%%/:S/=/%%!/}
SUB_FILES+=	${USE_RC_SUBR}

# Mk/Uses/shebangfix.mk: for each SHEBANG_LANG, "/usr/bin/env <lang>" becomes ${LOCALBASE}/bin/<lang>.
.for lang in ${SHEBANG_LANG}
${lang}_CMD?=	${LOCALBASE}/bin/${lang}
_SHEBANG_SED+=	-e '1s|^\#![[:space:]]*/usr/bin/env ${lang}$$|\#!${${lang}_CMD}|'
.endfor

apply-slist:
.for file in ${SUB_FILES}
	${SED} ${_SUB_LIST_TEMP} -e '/^@comment /d' ${FILESDIR}/${file}.in > ${WRKDIR}/${file}
.endfor

fix-shebang:
.if !empty(SHEBANG_FILES)
	cd ${WRKSRC} && ${SED} -i ${_SHEBANG_SED} ${SHEBANG_FILES}
.endif

# The stage directory starts with mtree's BSD.local.dist hierarchy; these are the parts used.
generate-plist:
	${MKDIR} ${STAGEDIR}${PREFIX}/bin ${STAGEDIR}${PREFIX}/etc/rc.d ${STAGEDIR}${PREFIX}/share/man/man8
	${SED} ${_PLIST_SUB_TEMP} ${PLIST} > ${TMPPLIST}

install-rc-script:
.for script in ${USE_RC_SUBR}
	${INSTALL_SCRIPT} ${WRKDIR}/${script} ${STAGEDIR}${PREFIX}/etc/rc.d/${script}
	echo "etc/rc.d/${script}" >> ${TMPPLIST}
.endfor

compress-man:
	${FIND} ${STAGEDIR}${PREFIX}/share/man -type f -name '*.[1-9]' -exec gzip -n {} +

# bsd.port.mk's order: SUB_FILES and patches (shebangfix) before the build, the packing list
# before do-install, the framework's rc.d scripts and man page compression after post-install.
stage: apply-slist fix-shebang do-build generate-plist do-install post-install install-rc-script compress-man
.ORDER: apply-slist fix-shebang do-build generate-plist do-install post-install install-rc-script compress-man
