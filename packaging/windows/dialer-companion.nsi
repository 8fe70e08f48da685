; Per-user 64-bit Windows installer for Dialer Companion (NSIS 3): no admin rights, silent with /S.
;
; Built by packaging/windows/build_installer.py, which defines APP_DIR (the one-folder build:
; dialer-app.exe and _internal\), APP_NAME, APP_ID, VERSION, VI_VERSION, OUT_FILE, ICON and
; INCLUDE_DIR, where it writes generated.nsh: the link registration rendered from
; dialer_app.core.handlers (the tel:/callto:/sip:/sips: URL protocol keys, and the ProgID,
; Capabilities\URLAssociations and RegisteredApplications entry that offer the app in Windows'
; Default apps; the schemes are never listed here), and the payload's top-level files and
; folders, so the uninstaller removes exactly those.
;
;   dialer-companion-setup.exe /S [/D=C:\path]     silent per-user install
;   "%LOCALAPPDATA%\Programs\Dialer Companion\uninstall.exe" /S     silent removal

; A 64-bit installer for the 64-bit app (Unicode; the registry seen natively, without WOW64).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "${INCLUDE_DIR}\generated.nsh"

!define EXE "dialer-app.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define SHORTCUT "$SMPROGRAMS\${APP_NAME}.lnk"

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
Icon "${ICON}"
UninstallIcon "${ICON}"
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VI_VERSION}"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "LegalCopyright" "the Dialer Companion authors"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
    SetShellVarContext current
FunctionEnd

Function un.onInit
    SetShellVarContext current
FunctionEnd

Section "Install"
    SetOutPath "$INSTDIR"
    ; An update replaces the payload: no file of an older build stays behind.
    !insertmacro DeletePayload
    File /r "${APP_DIR}\*"
    WriteUninstaller "$INSTDIR\uninstall.exe"
    CreateShortCut "${SHORTCUT}" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
    !insertmacro WriteLinkRegistration "$INSTDIR\${EXE}"
    ; SHCNE_ASSOCCHANGED: Explorer and Default apps read the new registration at once.
    System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'

    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "the Dialer Companion authors"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
    WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
    ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
    IntFmt $0 "0x%08X" $0
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
    ; Only the links that still open this installation: another app's registration stays.
    !insertmacro DeleteLinkRegistration "$INSTDIR\${EXE}"
    System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
    Delete "${SHORTCUT}"
    DeleteRegKey HKCU "${UNINSTALL_KEY}"
    ; Exactly what the installer put there; the folder goes if nothing else is in it (the rep's
    ; data, settings and logs live under %LOCALAPPDATA%\dialer-companion and stay).
    !insertmacro DeletePayload
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"
SectionEnd
