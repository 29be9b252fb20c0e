// Small browser facts the Blazor circuit cannot read on its own.

export function rememberTheme(dark) {
  document.cookie = `portal-theme=${dark ? "dark" : "light"}; path=/; max-age=31536000; samesite=lax`;
}

export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? null;
}
