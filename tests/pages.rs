//! Every list walked across its pages (`stream()`, `collect_all()`) against
//! the stand-in, for each envelope the API answers: `{items, count,
//! total}`, `{pipelines, total}` paged by `skip`, `{optimizations, total}`
//! and `{simulations, total}`.
#![cfg(feature = "testing")]

use futures_util::StreamExt;
use ionworks::pages::filter;
use ionworks::testing::{Fault, Schedule, StandIn};
use ionworks::types::{PipelineConfig, ProjectCreate, SimulationBatchWithTemplateRequest};
use ionworks::{Client, RetryPolicy};
use serde_json::{Map, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The number of items of each long list.
const N: usize = 2_500;

/// The queries of the `GET path` requests the stand-in saw.
fn list_queries(stand_in: &StandIn, path: &str) -> Vec<String> {
    stand_in
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .map(|r| r.query.unwrap_or_default())
        .collect()
}

/// `N` projects, `project 0000` …, in creation order.
async fn projects(client: &Client) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(N);
    for i in 0..N {
        let body = ProjectCreate::builder().name(format!("project {i:04}"));
        ids.push(
            client
                .create_project()
                .body(body)
                .send()
                .await?
                .into_inner()
                .id,
        );
    }
    Ok(ids)
}

#[tokio::test]
async fn items_count_total_pages_yield_every_item_once_in_order() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let ids = projects(&client).await?;
    stand_in.clear_requests();

    let streamed: Vec<String> = client
        .list_projects()
        .limit(100)
        .stream()
        .map(|p| p.map(|p| p.id))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<ionworks::Result<_>>()?;
    assert_eq!(streamed, ids);
    // 25 full pages, and no 26th: the total says the list ends.
    let queries = list_queries(&stand_in, "/projects");
    assert_eq!(queries.len(), 25, "{queries:?}");
    assert_eq!(queries[1], "limit=100&offset=100");

    // Without a limit the page size is the default; from a caller's offset.
    let rest = client.list_projects().offset(2_450).collect_all().await?;
    let rest: Vec<&str> = rest.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        rest,
        ids[2_450..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    Ok(())
}

#[tokio::test]
async fn a_filter_goes_with_every_page() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    for name in [
        "NMC cell",
        "LFP cell",
        "NMC pack",
        "sodium",
        "50% SOC, (cold)",
    ] {
        let body = ProjectCreate::builder().name(name);
        client.create_project().body(body).send().await?;
    }
    stand_in.clear_requests();
    let names = |projects: Vec<ionworks::types::Project>| -> Vec<String> {
        projects.into_iter().map(|p| p.name).collect()
    };

    let exact = client
        .list_projects()
        .name(filter::eq("LFP cell"))
        .collect_all()
        .await?;
    assert_eq!(names(exact), ["LFP cell"]);
    let nmc = client
        .list_projects()
        .name(filter::contains("nmc"))
        .limit(1)
        .collect_all()
        .await?;
    assert_eq!(names(nmc), ["NMC cell", "NMC pack"]);
    let queries = list_queries(&stand_in, "/projects");
    assert_eq!(
        queries[1..],
        [
            "limit=1&name=ilike.%25nmc%25&offset=0",
            "limit=1&name=ilike.%25nmc%25&offset=1",
        ]
    );
    let either = client
        .list_projects()
        .name(filter::in_(["sodium", "LFP cell"]))
        .collect_all()
        .await?;
    assert_eq!(names(either), ["LFP cell", "sodium"]);
    // Reserved characters are matched as themselves.
    let quoted = client
        .list_projects()
        .name(filter::in_(["50% SOC, (cold)"]))
        .collect_all()
        .await?;
    assert_eq!(names(quoted), ["50% SOC, (cold)"]);
    let percent = client
        .list_projects()
        .name(filter::contains("0%"))
        .collect_all()
        .await?;
    assert_eq!(names(percent), ["50% SOC, (cold)"]);
    assert!(
        client
            .list_projects()
            .name(filter::contains("_"))
            .collect_all()
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn pipelines_are_paged_by_skip() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let mut ids = Vec::with_capacity(N);
    for i in 0..N {
        let body = PipelineConfig::builder()
            .project_id("p1")
            .name(Some(format!("fit {i}")))
            .elements(Map::from_iter([(
                "data".into(),
                json!({"element_type": "entry"}),
            )]));
        ids.push(
            client
                .create_pipeline()
                .body(body)
                .send()
                .await?
                .into_inner()
                .id,
        );
    }
    stand_in.clear_requests();

    let streamed = client
        .list_pipelines()
        .project_id("p1")
        .collect_all()
        .await?;
    let streamed: Vec<String> = streamed.into_iter().map(|p| p.id).collect();
    assert_eq!(streamed, ids);
    let queries = list_queries(&stand_in, "/pipelines");
    assert_eq!(queries.len(), 25);
    assert_eq!(queries[24], "limit=100&project_id=p1&skip=2400");
    Ok(())
}

#[tokio::test]
async fn optimizations_and_jobs_are_paged_in_their_envelopes() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let optimizations: Vec<String> = (0..N)
        .map(|_| stand_in.add_optimization(Schedule::manual()))
        .collect();
    let jobs: Vec<String> = (0..N)
        .map(|_| stand_in.add_job(Schedule::manual()))
        .collect();

    let mut stream = client.list_optimizations().stream();
    let mut streamed = Vec::with_capacity(N);
    while let Some(optimization) = stream.try_next().await? {
        streamed.push(optimization.id);
    }
    assert_eq!(streamed, optimizations);
    let streamed = client.list_jobs().limit(100).collect_all().await?;
    let streamed: Vec<String> = streamed.into_iter().map(|j| j.job_id).collect();
    assert_eq!(streamed, jobs);
    Ok(())
}

#[tokio::test]
async fn simulations_are_paged_in_their_envelope() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let conditions: Vec<_> = (0..N)
        .map(|i| json!({"experiment_parameters": {"Temperature [°C]": i}}))
        .collect();
    let batch: SimulationBatchWithTemplateRequest = SimulationBatchWithTemplateRequest::builder()
        .experiment_template_id("template")
        .parameterized_model(json!({"capacity": 5.0}))
        .conditions(serde_json::from_value::<Vec<_>>(json!(conditions))?)
        .try_into()?;
    let started = client.create_simulation_batch().body(batch).send().await?;
    let ids: Vec<String> = started.iter().map(|s| s.simulation_id.clone()).collect();
    assert_eq!(ids.len(), N);

    let streamed = client.list_simulations().collect_all().await?;
    let streamed: Vec<String> = streamed.into_iter().map(|s| s.id).collect();
    assert_eq!(streamed, ids);
    Ok(())
}

#[tokio::test]
async fn an_error_mid_stream_is_the_last_item() -> Result {
    let stand_in = StandIn::start().await?;
    for _ in 0..250 {
        stand_in.add_optimization(Schedule::manual());
    }
    let client = stand_in
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()?;
    let mut stream = client.list_optimizations().limit(100).stream();
    for _ in 0..150 {
        stream
            .try_next()
            .await?
            .expect("an item of the first two pages");
    }
    stand_in.inject(Fault::Status(500), 1);
    let rest: Vec<_> = stream.collect().await;
    assert_eq!(rest.len(), 51, "the second page's 50, then the error");
    assert!(rest[..50].iter().all(std::result::Result::is_ok));
    let error = rest[50].as_ref().expect_err("the third page failed");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    Ok(())
}

#[tokio::test]
async fn an_empty_list_yields_nothing() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let mut stream = client.list_projects().stream();
    assert!(stream.try_next().await?.is_none());
    assert!(stream.try_next().await?.is_none(), "and stays ended");
    assert!(client.list_sites().collect_all().await?.is_empty());
    assert_eq!(list_queries(&stand_in, "/projects").len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_stream_can_be_read_on_another_task() -> Result {
    let stand_in = StandIn::start().await?;
    let jobs: Vec<String> = (0..150)
        .map(|_| stand_in.add_job(Schedule::manual()))
        .collect();
    let client = stand_in.client();
    let read = tokio::spawn(async move {
        let mut stream = client.list_jobs().limit(40).stream();
        let mut ids = Vec::new();
        while let Some(job) = stream.try_next().await? {
            ids.push(job.job_id);
        }
        Ok::<_, ionworks::ApiError>(ids)
    });
    assert_eq!(read.await??, jobs);
    Ok(())
}
