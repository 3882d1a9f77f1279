@echo off
rem `tandem` from an installed Tandem on Windows: the CLI on the app's own runtime.
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\Tandem.exe" "%~dp0..\app\bin\tandem.js" %*
