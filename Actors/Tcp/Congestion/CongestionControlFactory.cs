using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tcp.Congestion;

public static class CongestionControlFactory
{
    /// <summary>
    /// A new algorithm for one subflow. <paramref name="coupling"/> is used by the coupled kinds (LIA, OLIA) and ignored
    /// by the others; a coupled kind without one behaves as a lone subflow (NewReno).
    /// </summary>
    public static ICongestionControl Create(CongestionControlKind kind, ICongestionCoupling? coupling) => kind switch
    {
        CongestionControlKind.Cubic => new Cubic(),
        CongestionControlKind.NewReno => new NewReno(),
        CongestionControlKind.Lia => new Lia(coupling),
        CongestionControlKind.Olia => new Olia(coupling),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown congestion control"),
    };

    /// <summary>The algorithm kind the <c>congestion-control</c> setting names.</summary>
    public static CongestionControlKind ToKind(this CongestionControl setting) => setting switch
    {
        CongestionControl.Cubic => CongestionControlKind.Cubic,
        CongestionControl.NewReno => CongestionControlKind.NewReno,
        CongestionControl.Lia => CongestionControlKind.Lia,
        CongestionControl.Olia => CongestionControlKind.Olia,
        _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, "unknown congestion control"),
    };
}
