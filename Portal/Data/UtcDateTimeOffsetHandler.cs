using System.Data;
using Dapper;

namespace Portal.Data;

/// <summary>Npgsql reads <c>timestamptz</c> as a UTC <see cref="DateTime"/>; our records use <see cref="DateTimeOffset"/>.</summary>
internal sealed class UtcDateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
{
    public override DateTimeOffset Parse(object value) => value switch
    {
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        DateTimeOffset offset => offset,
        _ => throw new DataException($"Cannot read {value.GetType().Name} as DateTimeOffset"),
    };

    public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.UtcDateTime;
}
