// Signs in to a Portal (its /login form) before the lab-checks job audits pages behind the login: the sign-in script
// of the portal's own `lab:` in slas.yaml. The user and password come from Lab:Credentials:<service> (LAB_USERNAME,
// LAB_PASSWORD); a viewer's account is enough.
export default async function signIn(page, { baseUrl, username, password }) {
  if (!username || !password) throw new Error('no credentials: set Lab:Credentials:<service>:Username and :Password');
  await page.goto(new URL('/login', baseUrl).toString(), { waitUntil: 'load' });
  await page.type('#login', username);
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  if (new URL(page.url()).pathname === '/login') throw new Error(`the portal at ${baseUrl} refused the sign-in of ${username}`);
}
