package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import longlive.io.StateDict;
import longlive.sampling.FlowMatchSchedule;
import org.junit.jupiter.api.Test;

/** DMD, flow-matching and critic losses against the reference code run by tools/golden/make_train_cases.py. */
class LossGoldenTest {
    private static final FlowMatchSchedule SCHEDULE = new FlowMatchSchedule(5.0);

    private static float[] slice(float[] a, int sample, int n) {
        return Arrays.copyOfRange(a, sample * n, (sample + 1) * n);
    }

    private static void close(String what, float[] ours, float[] ref, double tol) {
        double e = TrainGolden.rel(ours, ref);
        assertTrue(e < tol, what + ": rel error " + e + " >= " + tol);
    }

    @Test
    void dmdGradientLossAndTimesteps() {
        try (StateDict g = TrainGolden.load("dmd")) {
            int batch = 4, frames = 6, frameSize = 2 * 3 * 4, n = frames * frameSize;
            float[] raw = TrainGolden.f(g, "raw_timestep"), t = TrainGolden.f(g, "timestep");
            for (int b = 0; b < batch; b++)
                assertEquals(t[b * frames], TimestepSampler.dmdShift((long) raw[b], 5.0), 0f, "timestep for raw " + raw[b]);
            float[] x = TrainGolden.f(g, "x"), mask = TrainGolden.f(g, "mask");
            DmdLoss dmd = new DmdLoss(3.0);
            float[] grad = new float[batch * n], dX = new float[batch * n];
            double loss = 0;
            for (int b = 0; b < batch; b++) {
                float[] gb = new float[n], db = new float[n];
                dmd.klGrad(slice(x, b, n), slice(TrainGolden.f(g, "fake"), b, n), slice(TrainGolden.f(g, "real_cond"), b, n),
                        slice(TrainGolden.f(g, "real_uncond"), b, n), gb);
                boolean[] frameMask = new boolean[frames];
                for (int f = 0; f < frames; f++) frameMask[f] = mask[(b * frames + f) * frameSize] != 0;
                loss += DmdLoss.loss(gb, frameMask, frameSize, db) / batch; // equal masked counts per sample
                System.arraycopy(gb, 0, grad, b * n, n);
                for (int i = 0; i < n; i++) dX[b * n + i] = db[i] / batch;
            }
            close("dmd grad", grad, TrainGolden.f(g, "grad"), 1e-6);
            close("dmd d loss/dx", dX, TrainGolden.f(g, "dloss_dx"), 1e-6);
            assertEquals(TrainGolden.f(g, "loss")[0], loss, 1e-6 * loss);
        }
    }

    @Test
    void flowMatchingScheduleWeightsAndLoss() {
        try (StateDict g = TrainGolden.load("flow")) {
            FlowMatchLoss fm = new FlowMatchLoss(SCHEDULE);
            float[] weights = TrainGolden.f(g, "weights"), timesteps = TrainGolden.f(g, "timesteps");
            float[] ours = new float[1000];
            for (int i = 0; i < 1000; i++) ours[i] = fm.weight(i);
            close("training weights", ours, weights, 1e-6);
            // longlive.sampling builds the table itself; a few entries differ from torch's by one float ulp
            close("timesteps", SCHEDULE.timesteps(), timesteps, 3e-7);
            int batch = 2, frames = 6, frameSize = 24, n = frames * frameSize;
            float[] index = TrainGolden.f(g, "index");
            double loss = 0;
            float[] noisy = new float[batch * n], dFlow = new float[batch * n];
            for (int b = 0; b < batch; b++) {
                int[] idx = new int[frames];
                for (int f = 0; f < frames; f++) idx[f] = (int) index[b * frames + f];
                float[] clean = slice(TrainGolden.f(g, "clean"), b, n), noise = slice(TrainGolden.f(g, "noise"), b, n);
                float[] xt = new float[n], d = new float[n];
                fm.noisyInput(clean, noise, idx, frameSize, xt);
                System.arraycopy(xt, 0, noisy, b * n, n);
                loss += fm.loss(slice(TrainGolden.f(g, "flow"), b, n), clean, noise, idx, frameSize, d) / batch;
                for (int i = 0; i < n; i++) dFlow[b * n + i] = d[i] / batch;
            }
            close("noisy input", noisy, TrainGolden.f(g, "noisy"), 1e-7);
            close("d loss/d flow", dFlow, TrainGolden.f(g, "dloss_dflow"), 1e-6);
            assertEquals(TrainGolden.f(g, "loss")[0], loss, 1e-6 * loss);
        }
    }

    @Test
    void criticFlowLoss() {
        try (StateDict g = TrainGolden.load("critic")) {
            CriticFlowLoss critic = new CriticFlowLoss(SCHEDULE);
            int batch = 2, n = 3 * 24;
            float[] t = TrainGolden.f(g, "timestep");
            double loss = 0;
            float[] dV = new float[batch * n];
            for (int b = 0; b < batch; b++) {
                float[] d = new float[n];
                loss += critic.loss(slice(TrainGolden.f(g, "flow"), b, n), slice(TrainGolden.f(g, "xt"), b, n),
                        slice(TrainGolden.f(g, "x"), b, n), slice(TrainGolden.f(g, "noise"), b, n), t[b * 3], d) / batch;
                for (int i = 0; i < n; i++) dV[b * n + i] = d[i] / batch;
            }
            close("critic d loss/dv", dV, TrainGolden.f(g, "dloss_dflow"), 1e-5);
            assertEquals(TrainGolden.f(g, "loss")[0], loss, 1e-6 * loss);
        }
    }
}
