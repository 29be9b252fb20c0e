using Portal.Features.Queries;

namespace Portal.UnitTests.Features.Queries;

/// <summary>The catalogue estimate of the pages a relation's live rows need, worked by hand from PostgreSQL's page layout.</summary>
public sealed class BloatEstimateTests
{
    [Fact]
    public void HeapPages_HeaderDataAndLinePointer_AsManyAsFitTheFillFactor()
    {
        // (integer, integer, md5 text): header 23 → 24, data 4 + 4 + 33 = 41 → 48, line pointer 4: 76 bytes a row,
        // floor(8,168 / 76) = 107 rows a page: 1,000 rows need 10 pages.
        Assert.Equal(10, BloatEstimate.HeapPages(1_000, 3, nullable: false, 41, 100, 8192));
        // At fill factor 50: floor(4,084 / 76) = 53 a page → 19 pages.
        Assert.Equal(19, BloatEstimate.HeapPages(1_000, 3, nullable: false, 41, 50, 8192));
        // Nine columns with nulls: a 2-byte bitmap, 23 + 2 = 25 → 32; 32 + 48 + 4 = 84 → 97 a page → 11 pages.
        Assert.Equal(11, BloatEstimate.HeapPages(1_000, 9, nullable: true, 41, 100, 8192));
        // TOAST rows four to a page.
        Assert.Equal(10 + 3, BloatEstimate.HeapPages(1_000, 3, nullable: false, 41, 100, 8192, toastRows: 10));
        // Never analysed (-1 rows): nothing needed.
        Assert.Equal(0, BloatEstimate.HeapPages(-1, 3, nullable: false, 41, 100, 8192));
    }

    [Fact]
    public void BtreePages_MetaPageAndLeavesAtNinetyPercent()
    {
        // An integer key: 8 + 8 + 4 = 20 bytes; (8,192 - 24 - 16) × 0.9 / 20 = 366.8 → 366 a leaf; 1 + ceil(1,000 / 366) = 4.
        Assert.Equal(4, BloatEstimate.BtreePages(1_000, nullable: false, 4, 90, 8192));
        // A nullable key carries a 4-byte bitmap: 8 + 4 = 12 → 16; 16 + 8 + 4 = 28 → 262 a leaf → 1 + 4 = 5.
        Assert.Equal(5, BloatEstimate.BtreePages(1_000, nullable: true, 4, 90, 8192));
    }

    [Fact]
    public void Wasted_ThePagesBeyondTheNeed_NeverNegative()
    {
        Assert.Equal(90 * 8192, BloatEstimate.Wasted(100, 10, 8192));
        Assert.Equal(0, BloatEstimate.Wasted(10, 12, 8192)); // deduplicated b-trees can be smaller than estimated
    }
}
