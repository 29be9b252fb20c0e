using Portal.Features.Scorecards;

namespace Portal.UnitTests.Features.Scorecards;

/// <summary>A service's <c>lab:</c> in the SLA catalogue: the critical pages the lab-checks job audits.</summary>
public sealed class SlaCatalogueLabTests
{
    [Fact]
    public void Lab_PagesProfilesSignIn_Read_AndAServiceMayHaveNoObjectives()
    {
        const string yaml = """
            services:
              - name: shop
                team: web
                lab:
                  base_url: https://shop.example.com/
                  profiles: [mobile, desktop]
                  sign_in: tools/browser/sign-in-shop.mjs
                  pages: [/, /checkout, /checkout]
              - name: blog
                team: web
                lab:
                  public_pages: [/posts]
            """;

        var (catalogue, errors) = new SlaCatalogueReader("slas.yaml").Read(yaml);

        Assert.Empty(errors);
        var shop = catalogue!.Lab[0];
        Assert.Equal(("shop", "https://shop.example.com", "tools/browser/sign-in-shop.mjs"), (shop.Service, shop.BaseUrl, shop.SignIn));
        Assert.Equal(["mobile", "desktop"], shop.Profiles);
        Assert.Equal(["/", "/checkout"], shop.Pages);
        var blog = catalogue.Lab[1];
        Assert.Null(blog.BaseUrl); // the portal's own address
        Assert.Equal(["mobile"], blog.Profiles);
        Assert.Equal(["/posts"], blog.PublicPages);
        Assert.Empty(blog.Pages);
        Assert.Empty(catalogue.Objectives);
    }

    [Theory]
    [InlineData("pages: [checkout]", "4:", "starting with '/'")]
    [InlineData("pages: []", "4:", "`pages` is a list")]
    [InlineData("profiles: [mobile]", "4:", "`pages` (or `public_pages`) is missing")]
    [InlineData("profiles: [tablet]\n      pages: [/]", "4:", "profile 'tablet'")]
    [InlineData("base_url: ftp://x\n      pages: [/]", "4:", "http(s) address")]
    public void Lab_Invalid_ErrorAtTheValue(string lab, string line, string message)
    {
        var yaml = $"services:\n  - name: shop\n    team: web\n    lab:\n      {lab}\n";

        var (catalogue, errors) = new SlaCatalogueReader("slas.yaml").Read(yaml);

        Assert.Null(catalogue);
        var error = Assert.Single(errors);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("slas.yaml:" + (int.Parse(line.TrimEnd(':'), System.Globalization.CultureInfo.InvariantCulture) + 1), error.Location.ToString(), StringComparison.Ordinal);
    }
}
