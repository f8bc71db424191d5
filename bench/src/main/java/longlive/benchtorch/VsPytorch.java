package longlive.benchtorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import longlive.bench.BenchCase;
import longlive.bench.BenchCommand;
import longlive.bench.BenchSuite;
import longlive.bench.BenchTimer;
import longlive.bench.MachinePeak;
import longlive.kernel.Parallel;
import longlive.kernel.VectorAttention;
import longlive.kernel.VectorMatMul;

/**
 * Runs every {@link BenchSuite} case through our kernels and through PyTorch (libtorch via DJL, fp32, eager) in
 * the same process with the same number of threads, and prints {@code shape | Java GFLOP/s | PyTorch GFLOP/s | ratio}.
 *
 * <p>PyTorch side: GEMM = {@code matmul} (transposed operands are strided views, as {@code x @ W.T} in Python);
 * attention = {@code softmax(Q K^T * scale) V} in eager fp32, one head at a time (all 12 heads of the model-size
 * case at once would need 3 x 4.2 GB of score matrices); attention backward = the five eager products autograd
 * runs with the saved P ({@code dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)) scale, dQ = dS K,
 * dK = dS^T Q}); VAE conv = {@code conv3d} over the history and the new frames, padding (0, 1, 1), the same twin
 * for our direct and im2col convs. Timed like our side: warm-up, then the median of several runs; operand set-up is not timed.
 * The cpu-s columns divide by the process CPU time instead (meaningful when other jobs share the machine).
 *
 * <p>Usage: {@code VsPytorch [--quick] [--threads N]} (the launcher sets DJL offline and the library path).
 */
public final class VsPytorch {
    private VsPytorch() {}

    public static void main(String[] args) {
        boolean quick = false;
        int threads = Runtime.getRuntime().availableProcessors();
        String filter = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--filter" -> filter = args[++i];
                case "--vs-pytorch" -> { }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --quick, --threads N, --filter TEXT)");
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (Parallel parallel = new Parallel(threads); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MachinePeak peak = MachinePeak.detect(threads);
            System.out.printf("# Java kernels vs PyTorch %s (DJL %s), fp32, %d threads each%n",
                    manager.getEngine().getVersion(), ai.djl.engine.Engine.getDjlVersion(), threads);
            System.out.printf("# CPU: %s, %d float lanes; %s; load average %s%n%n", peak.cpuModel(), peak.lanes(),
                    ZonedDateTime.now().withNano(0), BenchCommand.loadAverage());
            System.out.println("| group | op | shape | Java GFLOP/s | PyTorch GFLOP/s | ratio "
                    + "| Java GFLOP/cpu-s | PyTorch GFLOP/cpu-s | ratio per cpu-s |");
            System.out.println("|---|---|---|---:|---:|---:|---:|---:|---:|");
            List<BenchCase> cases = new ArrayList<>(BenchSuite.cases(quick, new VectorMatMul(parallel),
                    new VectorAttention(parallel)));
            cases.addAll(BenchSuite.vaeCases(parallel));
            for (BenchCase c : new ArrayList<>(cases)) {
                String label = c.group() + " " + c.op() + " " + c.shape();
                if (filter != null && !label.contains(filter)) continue;
                BenchTimer.Result j = BenchCommand.time(c), t;
                try (NDManager sub = manager.newSubManager()) {
                    t = BenchCommand.time(torchCase(c, sub));
                }
                double java = c.flops() / j.medianSeconds() / 1e9, torch = c.flops() / t.medianSeconds() / 1e9;
                double javaCpu = c.flops() / j.cpuSeconds() / 1e9, torchCpu = c.flops() / t.cpuSeconds() / 1e9;
                System.out.printf("| %s | %s | %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |%n", c.group(), c.op(),
                        c.shape(), java, torch, java / torch, javaCpu, torchCpu, javaCpu / torchCpu);
                System.out.flush();
            }
        }
    }

    /** The PyTorch twin of one case: same shapes, its own random operands in {@code m}. */
    static BenchCase torchCase(BenchCase c, NDManager m) {
        int[] d = c.dims();
        Runnable run;
        if (c.isVaeConv()) {
            // conv3d over [history (2 frames), new frames] with H/W padding 1: the same outputs as our causal conv
            int cin = d[0], cout = d[1], frames = d[2], h = d[3], w = d[4];
            NDArray x = m.randomUniform(-1, 1, new Shape(1, cin, frames + 2, h, w));
            NDArray wt = m.randomUniform(-1, 1, new Shape(cout, cin, 3, 3, 3));
            NDArray bias = m.randomUniform(-1, 1, new Shape(cout));
            run = () -> ai.djl.nn.convolutional.Conv3d.conv3d(x, wt, bias, new Shape(1, 1, 1),
                    new Shape(0, 1, 1), new Shape(1, 1, 1), 1).singletonOrThrow().close();
        } else if (c.op().startsWith("gemm")) {
            int mm = d[0], k = d[1], n = d[2];
            boolean transA = d[3] != 0, transB = d[4] != 0;
            NDArray a = m.randomUniform(-1, 1, transA ? new Shape(k, mm) : new Shape(mm, k));
            NDArray b = m.randomUniform(-1, 1, transB ? new Shape(n, k) : new Shape(k, n));
            NDArray opA = transA ? a.transpose() : a, opB = transB ? b.transpose() : b;
            run = () -> opA.matMul(opB).close();
        } else {
            int nq = d[0], nk = d[1], heads = d[2], hd = d[3];
            float scale = (float) (1 / Math.sqrt(hd));
            NDArray[] q = new NDArray[heads], k = new NDArray[heads], v = new NDArray[heads];
            for (int h = 0; h < heads; h++) {
                q[h] = m.randomUniform(-1, 1, new Shape(nq, hd));
                k[h] = m.randomUniform(-1, 1, new Shape(nk, hd));
                v[h] = m.randomUniform(-1, 1, new Shape(nk, hd));
            }
            if (c.op().equals("attention")) {
                run = () -> {
                    for (int h = 0; h < heads; h++) {
                        try (NDArray kt = k[h].transpose(); NDArray s = q[h].matMul(kt); NDArray ss = s.mul(scale);
                             NDArray p = ss.softmax(-1); NDArray o = p.matMul(v[h])) {
                            o.getShape();
                        }
                    }
                };
            } else {
                NDArray[] p = new NDArray[heads], dO = new NDArray[heads];
                for (int h = 0; h < heads; h++) {
                    try (NDArray kt = k[h].transpose(); NDArray s = q[h].matMul(kt); NDArray ss = s.mul(scale)) {
                        p[h] = ss.softmax(-1);
                    }
                    dO[h] = m.randomUniform(-1, 1, new Shape(nq, hd));
                }
                run = () -> {
                    for (int h = 0; h < heads; h++) {
                        try (NDArray pt = p[h].transpose(); NDArray dV = pt.matMul(dO[h]);
                             NDArray vt = v[h].transpose(); NDArray dP = dO[h].matMul(vt);
                             NDArray dPp = dP.mul(p[h]); NDArray rowSum = dPp.sum(new int[] {1}, true);
                             NDArray dS = dP.subi(rowSum).muli(p[h]).muli(scale);
                             NDArray dQ = dS.matMul(k[h]);
                             NDArray dSt = dS.transpose(); NDArray dK = dSt.matMul(q[h])) {
                            dV.getShape();
                            dQ.getShape();
                            dK.getShape();
                        }
                    }
                };
            }
        }
        return new BenchCase(c.group(), c.op(), c.shape(), d, c.flops(), run);
    }

}
