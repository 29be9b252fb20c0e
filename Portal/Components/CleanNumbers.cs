using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Components;

/// <summary>
/// Numbers as the API and CSV write them: at most 15 significant digits, so that binary floating-point noise
/// (0.1 + 0.2 = 0.30000000000000004, a 99.9 % objective read back as 0.9990000000000001) is not passed on as a figure.
/// Fifteen digits are more than any figure here is known to.
/// </summary>
public static class CleanNumbers
{
    public static double Of(double value) =>
        double.IsFinite(value) ? double.Parse(value.ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value;

    /// <summary>The API's doubles, cleaned (<see cref="Of"/>); a non-finite one is refused as System.Text.Json does.</summary>
    public sealed class JsonConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(Of(value));
    }
}
