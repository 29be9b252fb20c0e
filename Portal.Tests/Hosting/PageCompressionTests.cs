using System.IO.Compression;
using System.Net;
using System.Text;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hosting;

/// <summary>Pages are sent brotli-compressed to the portal's own and the user's navigations, never to another site's.</summary>
public sealed class PageCompressionTests : PortalOnFreshDatabase
{
    private static async Task<HttpResponseMessage> GetPageAsync(HttpClient client, string? fetchSite)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        request.Headers.AcceptEncoding.ParseAdd("br, gzip");
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task SignedInPage_SameOriginOrTyped_BrotliAndSameMarkup_CrossSiteOrUnknown_Uncompressed()
    {
        var account = await App.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(App.BaseAddress);
        (await SignIn.PostAsync(client, account.Login, account.Password)).Dispose();

        foreach (var site in new[] { "none", "same-origin" })
        {
            using var response = await GetPageAsync(client, site);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(["br"], response.Content.Headers.ContentEncoding);
            Assert.Contains("Sec-Fetch-Site", response.Headers.Vary);
            var compressed = await response.Content.ReadAsByteArrayAsync();
            await using var brotli = new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var reader = new StreamReader(brotli, Encoding.UTF8);
            var page = await reader.ReadToEndAsync();
            Assert.Contains("<h1", page, StringComparison.Ordinal);
            Assert.Contains("</html>", page, StringComparison.Ordinal);
            // Compressed, not passed through: under half its size (the page's data-protected component descriptors, state
            // and antiforgery token, ~3.5 KB, are random bytes to brotli; the Overview compresses about 3:1 in all), and
            // about as small as brotli at the server's level makes this very page in one piece (the server compresses it
            // as it streams, flush by flush: 6–7 % larger here; a part sent as it is would be far more).
            var bytes = Encoding.UTF8.GetBytes(page);
            Assert.True(compressed.Length * 2 < bytes.Length, $"{compressed.Length} bytes compressed of {bytes.Length}");
            using var reference = new MemoryStream();
            await using (var encoder = new BrotliStream(reference, CompressionLevel.Fastest, leaveOpen: true))
            {
                await encoder.WriteAsync(bytes);
            }
            Assert.InRange(compressed.Length, 0, reference.Length * 1.15);
        }

        // What an attacker's page can make the browser fetch (cross-site, same-site from a sibling host), and a client
        // that does not say: the page as it is.
        foreach (var site in new[] { "cross-site", "same-site", null })
        {
            using var response = await GetPageAsync(client, site);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Contains("</html>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
