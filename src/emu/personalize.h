/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * personalize.h - the test PKI profile (private to src/emu).
 *
 * emu_personalize() itself is declared in emu.h. This header holds the
 * profile of the test hierarchy: names and OIDs copied in shape from the
 * real J-LIS certificates (docs/trust.md), under O=JPKI-TEST
 * like J-LIS's own test cards, with a clearly fictional card holder.
 */
#ifndef JPKI_EMU_PERSONALIZE_H
#define JPKI_EMU_PERSONALIZE_H

#include "emu.h"

#define EMU_PKI_ORG "JPKI-TEST"
#define EMU_PKI_OU_AUTH "JPKI for user authentication"
#define EMU_PKI_OU_SIGN "JPKI for digital signature"
#define EMU_PKI_OU_AGENCY                                                     \
    "Japan Agency for Local Authority Information Systems"

/* The Japanese names J-LIS puts in its roots' subjectAltName and its
 * leaves' issuerAltName (UTF-8). */
#define EMU_PKI_JA_SERVICE "公的個人認証サービス"
#define EMU_PKI_JA_OU_AUTH "公的個人認証サービス利用者証明用"
#define EMU_PKI_JA_OU_SIGN "公的個人認証サービス署名用"
#define EMU_PKI_JA_AGENCY "地方公共団体情報システム機構"

#define EMU_OID_POLICY_AUTH "1.2.392.200149.8.5.1.3.30"
#define EMU_OID_POLICY_SIGN_TEST "1.2.392.200149.8.5.1.0.20"
#define EMU_OID_JPKI_ATTR "1.2.392.200149.8.5.5" /* .1 .. .6 */
#define EMU_PKI_CPS_URI "http://www.jpki.go.jp/cps.html"
#define EMU_PKI_OCSP_URI "http://ocspauthnorm.jpki.go.jp"

/* The fictional card holder (試験 = "test"). */
#define EMU_PERSON_NAME "試験　花子"
#define EMU_PERSON_SEX "2" /* ISO 5218 style: 1 m, 2 f, 3 other */
#define EMU_PERSON_BIRTH                                                      \
    "19900101" /* YYYYMMDD; the certificate says 4 (Heisei) first */
#define EMU_PERSON_ADDRESS "東京都千代田区試験町一丁目1番1号"
#define EMU_PERSON_PREFECTURE "東京都"
#define EMU_PERSON_CITY "千代田区"
#define EMU_PERSON_CRLDP_OU "Tokyo-to"
#define EMU_PERSON_CRLDP_CN "Chiyoda-ku CRLDP"

#endif
