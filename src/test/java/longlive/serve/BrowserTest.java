package longlive.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser: Debian's Chromium, headless, driven through Debian's chromedriver (given by path, so
 * Selenium never looks for or downloads a driver). Skips with a message when they are not installed; CI installs
 * them (.ci/install).
 */
class BrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private ServeServer server;
    private ChromeDriver driver;

    @BeforeEach
    void up(@TempDir Path profile) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "browser test skipped: needs /usr/bin/chromium and /usr/bin/chromedriver "
                        + "(apt-get install -y chromium chromium-driver, or run .ci/install)");
        server = TinyServer.start(2, true);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800", "--user-data-dir=" + profile.toAbsolutePath());
        driver = new ChromeDriver(service, o);
    }

    @AfterEach
    void down() {
        if (driver != null) driver.quit();
        if (server != null) server.close();
    }

    @Test
    void startSeeFramesSwitchPauseAndDisconnect() throws Exception {
        driver.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);   // the timeline is re-drawn as events arrive
        JavascriptExecutor js = driver;
        wait.until(d -> js.executeScript("return window.longlive && window.longlive.hello != null"));
        assertTrue(driver.findElement(By.id("model")).getText().contains("64×64"));

        WebElement prompt = driver.findElement(By.id("prompt"));
        driver.findElement(By.id("seed")).sendKeys("42");
        prompt.sendKeys("a small red circle drifts to the right over a dark blue background", Keys.ENTER);
        wait.until(d -> ((Number) js.executeScript("return window.longlive.frames")).intValue() > 10);
        assertEquals(1, server.liveSessions());
        String before = canvas(js);
        wait.until(d -> !canvas(js).equals(before));   // the picture changes as frames arrive

        prompt.sendKeys(Keys.chord(Keys.CONTROL, "a"), "a blue square slides left over sand", Keys.ENTER);
        wait.until(d -> ((Number) js.executeScript("return window.longlive.latencies.length")).intValue() > 0);
        int applied = ((Number) js.executeScript("return window.longlive.timeline[1].applied_frame")).intValue();
        assertTrue(applied > 0, "switch applied at frame " + applied);
        wait.until(d -> ((Number) js.executeScript("return window.longlive.lastPrompt")).intValue() == 1);
        long shown = ((Number) js.executeScript("return window.longlive.timeline[1].shown_frame")).longValue();
        assertEquals(applied, shown, "the first frame shown under prompt 1 is the frame the server applied it at");
        assertTrue(driver.findElement(By.id("latency")).getText().endsWith("ms"));
        wait.until(d -> d.findElement(By.cssSelector("#timeline li[data-index='1']")).getText()
                .contains("from frame " + applied));
        assertNotEquals("#", driver.findElement(By.id("download")).getDomAttribute("href"));

        driver.findElement(By.id("pause")).click();
        wait.until(d -> Boolean.TRUE.equals(js.executeScript("return window.longlive.paused")));
        driver.findElement(By.id("pause")).click();
        wait.until(d -> Boolean.FALSE.equals(js.executeScript("return window.longlive.paused")));
        long framesNow = ((Number) js.executeScript("return window.longlive.frames")).longValue();
        wait.until(d -> ((Number) js.executeScript("return window.longlive.frames")).longValue() > framesNow + 5);

        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Path shot = buildDir().resolve("serve-browser.png");
        Files.write(shot, png);
        assertTrue(png.length > 10_000, "a real screenshot: " + shot);

        driver.findElement(By.id("stop")).click();   // stop, then start again from the same page
        wait.until(d -> js.executeScript("return window.longlive.stopped") != null);
        ServeServerTest.waitFor(() -> server.liveSessions() == 0, "stop frees the session");
        prompt.sendKeys(Keys.chord(Keys.CONTROL, "a"), "a green triangle", Keys.ENTER);
        wait.until(d -> js.executeScript("return window.longlive.session") != null
                && ((Number) js.executeScript("return window.longlive.frames")).intValue() > 5);
        assertEquals(1, ((Number) js.executeScript("return window.longlive.timeline.length")).intValue());
        assertEquals(1, server.liveSessions());

        // closing the page's tab closes its WebSocket (navigating away is not enough to test this: a browser may
        // keep the page alive in its back/forward cache; the page itself closes its socket on pagehide)
        String page = driver.getWindowHandle();
        driver.switchTo().newWindow(WindowType.TAB);
        String other = driver.getWindowHandle();
        driver.switchTo().window(page).close();
        driver.switchTo().window(other);
        ServeServerTest.waitFor(() -> server.liveSessions() == 0, "the session is freed when the page goes away");
    }

    /** A fingerprint of the canvas pixels. */
    private static String canvas(JavascriptExecutor js) {
        return (String) js.executeScript("const c = document.getElementById('video');"
                + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + "let h = 0; for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) | 0; return String(h);");
    }

    /** The build folder (target or target-NAME): the parent of test-classes. */
    private static Path buildDir() throws Exception {
        return Path.of(BrowserTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    }

}
