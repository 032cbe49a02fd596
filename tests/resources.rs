//! The resources of the API through the typed client, against the stand-in:
//! one test per resource family (create, get, list with a filter, update,
//! delete) and one per list envelope the API answers.
#![cfg(feature = "testing")]

use ionworks::testing::StandIn;
use ionworks::types::{
    CellInstanceCreate, CellSpecificationCreate, CellSpecificationUpdate, ModelCreate, ModelUpdate,
    PipelineConfig, PipelineUpdateRequest, ProjectCreate, ProjectUpdate,
    SimplePipelineCreateRequest, StudyCreate, StudyUpdate,
};
use serde_json::{Map, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn status<T: std::fmt::Debug>(result: ionworks::Result<T>) -> u16 {
    result
        .expect_err("an error status")
        .status()
        .expect("an HTTP status")
        .as_u16()
}

#[tokio::test]
async fn projects_create_get_list_update_delete() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let alpha = client
        .create_project()
        .body(
            ProjectCreate::builder()
                .name("Alpha")
                .description(Some("LFP ageing".into())),
        )
        .send()
        .await?;
    client
        .create_project()
        .body(ProjectCreate::builder().name("Beta"))
        .send()
        .await?;
    assert_eq!(alpha.name, "Alpha");

    let got = client.get_project().project_id(&alpha.id).send().await?;
    assert_eq!(
        (got.id.as_str(), got.description.as_deref()),
        (alpha.id.as_str(), Some("LFP ageing"))
    );

    let page = client.list_projects().name("eq.Beta").send().await?;
    let names: Vec<&str> = page.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!((names, page.count, page.total), (vec!["Beta"], 1, 1));
    let page = client.list_projects().name("ilike.%A%").send().await?;
    assert_eq!(page.total, 2, "both names contain an a: {:?}", page.items);

    let updated = client
        .update_project()
        .project_id(&alpha.id)
        .body(ProjectUpdate::builder().name(Some("Alpha 2".into())))
        .send()
        .await?;
    assert_eq!(
        (updated.name.as_str(), updated.description.as_deref()),
        ("Alpha 2", Some("LFP ageing"))
    );

    client.delete_project().project_id(&alpha.id).send().await?;
    assert_eq!(
        status(client.get_project().project_id(&alpha.id).send().await),
        404
    );
    assert_eq!(
        status(client.delete_project().project_id(&alpha.id).send().await),
        404
    );
    Ok(())
}

#[tokio::test]
async fn a_second_project_of_the_same_name_conflicts_with_the_existing_id() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let first = client
        .create_project()
        .body(ProjectCreate::builder().name("Cells"))
        .send()
        .await?;
    let err = client
        .create_project()
        .body(ProjectCreate::builder().name("Cells"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(
        (err.code(), err.existing_id()),
        (Some("CONFLICT"), Some(first.id.as_str()))
    );
    Ok(())
}

#[tokio::test]
async fn cell_specifications_and_their_instances() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let spec = client
        .create_cell_specification()
        .body(
            CellSpecificationCreate::builder()
                .name("NMC811 21700")
                .form_factor(Some("cylindrical".into())),
        )
        .send()
        .await?;
    let other = client
        .create_cell_specification()
        .body(CellSpecificationCreate::builder().name("LFP pouch"))
        .send()
        .await?;

    for (name, parent) in [
        ("cell 1", &spec.id),
        ("cell 2", &spec.id),
        ("cell 3", &other.id),
    ] {
        client
            .create_cell_instance()
            .id(parent)
            .body(CellInstanceCreate::builder().name(name))
            .send()
            .await?;
    }
    let instances = client.list_cell_instances().id(&spec.id).send().await?;
    let mut names: Vec<&str> = instances.items.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["cell 1", "cell 2"],
        "only the instances of this specification"
    );
    let one = client
        .list_cell_instances()
        .id(&spec.id)
        .name("eq.cell 2")
        .send()
        .await?;
    assert_eq!(one.total, 1);
    let cell = client
        .get_cell_instance()
        .cell_instance_id(&one.items[0].id)
        .send()
        .await?;
    assert_eq!(cell.name, "cell 2");

    let got = client
        .get_cell_specification()
        .cell_spec_id(&spec.id)
        .send()
        .await?;
    assert_eq!(got.form_factor.as_deref(), Some("cylindrical"));
    let updated = client
        .update_cell_specification()
        .cell_spec_id(&spec.id)
        .body(CellSpecificationUpdate::builder().notes(Some("from the datasheet".into())))
        .send()
        .await?;
    assert_eq!(
        (updated.name.as_str(), updated.notes.as_deref()),
        ("NMC811 21700", Some("from the datasheet"))
    );
    let listed = client
        .list_cell_specifications()
        .name("eq.LFP pouch")
        .send()
        .await?;
    assert_eq!(
        listed
            .items
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        [other.id.as_str()]
    );

    client
        .delete_cell_specification()
        .id(&spec.id)
        .send()
        .await?;
    assert_eq!(
        status(
            client
                .get_cell_specification()
                .cell_spec_id(&spec.id)
                .send()
                .await
        ),
        404
    );
    Ok(())
}

#[tokio::test]
async fn models_are_listed_by_project() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let mut ids = Vec::new();
    for (name, project) in [("SPMe", "p1"), ("DFN", "p1"), ("ECM", "p2")] {
        let model = client
            .create_model()
            .body(
                ModelCreate::builder()
                    .name(name)
                    .project_id(Some(project.into()))
                    .config(Map::from_iter([("model".into(), json!(name))])),
            )
            .send()
            .await?;
        ids.push(model.into_inner().id);
    }
    let p1 = client.list_models().project_id("p1").send().await?;
    let mut names: Vec<&str> = p1.items.iter().map(|m| m.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["DFN", "SPMe"]);

    let model = client.get_model().model_id(&ids[2]).send().await?;
    assert_eq!(model.config.get("model"), Some(&json!("ECM")));
    let updated = client
        .update_model()
        .model_id(&ids[2])
        .body(ModelUpdate::builder().description(Some("2RC".into())))
        .send()
        .await?;
    assert_eq!(
        (updated.name.as_str(), updated.description.as_deref()),
        ("ECM", Some("2RC"))
    );
    client.delete_model().model_id(&ids[2]).send().await?;
    assert_eq!(
        status(client.get_model().model_id(&ids[2]).send().await),
        404
    );
    Ok(())
}

#[tokio::test]
async fn studies_live_under_their_project() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let project = client
        .create_project()
        .body(ProjectCreate::builder().name("Ageing"))
        .send()
        .await?;
    let study = client
        .create_study()
        .project_id(&project.id)
        .body(StudyCreate::builder().name("25 degC"))
        .send()
        .await?;
    client
        .create_study()
        .project_id(&project.id)
        .body(StudyCreate::builder().name("45 degC"))
        .send()
        .await?;
    let listed = client
        .list_studies()
        .project_id(&project.id)
        .order_by("name")
        .order("desc")
        .send()
        .await?;
    let names: Vec<&str> = listed.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["45 degC", "25 degC"]);
    let elsewhere = client.list_studies().project_id("another").send().await?;
    assert_eq!(elsewhere.total, 0);

    let updated = client
        .update_study()
        .project_id(&project.id)
        .study_id(&study.id)
        .body(StudyUpdate::builder().name(Some("25 °C".into())))
        .send()
        .await?;
    assert_eq!(updated.name, "25 °C");
    client
        .delete_study()
        .project_id(&project.id)
        .study_id(&study.id)
        .send()
        .await?;
    let got = client
        .get_study()
        .project_id(&project.id)
        .study_id(&study.id)
        .send()
        .await;
    assert_eq!(status(got), 404);
    Ok(())
}

#[tokio::test]
async fn pipelines_list_in_their_own_envelope() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let mut ids = Vec::new();
    for name in ["fit 1", "fit 2", "fit 3"] {
        let created = client
            .create_pipeline()
            .body(
                PipelineConfig::builder()
                    .project_id("p1")
                    .name(Some(name.into()))
                    .elements(Map::from_iter([(
                        "data".into(),
                        json!({"element_type": "entry"}),
                    )])),
            )
            .send()
            .await?;
        ids.push(created.into_inner().id);
    }
    let page = client
        .list_pipelines()
        .project_id("p1")
        .limit(2)
        .skip(1)
        .send()
        .await?;
    let names: Vec<&str> = page.pipelines.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["fit 2", "fit 3"]);
    assert_eq!(page.total, Some(3));

    let got = client.get_pipeline().pipeline_id(&ids[0]).send().await?;
    assert_eq!(got.name, "fit 1");
    let updated = client
        .update_pipeline()
        .pipeline_id(&ids[0])
        .body(PipelineUpdateRequest::builder().description(Some("first try".into())))
        .send()
        .await?;
    assert_eq!(updated.description.as_deref(), Some("first try"));
    client.delete_pipeline().pipeline_id(&ids[0]).send().await?;
    assert_eq!(
        status(client.get_pipeline().pipeline_id(&ids[0]).send().await),
        404
    );
    Ok(())
}

#[tokio::test]
async fn simple_pipelines_page_with_limit_and_offset() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    for i in 0..5 {
        client
            .create_simple_pipeline()
            .body(
                SimplePipelineCreateRequest::builder()
                    .project_id("p1")
                    .name(Some(format!("simple {i}")))
                    .config(Map::new()),
            )
            .send()
            .await?;
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = client
            .list_simple_pipelines()
            .project_id("p1")
            .limit(2)
            .offset(offset)
            .send()
            .await?;
        assert_eq!((page.count, page.total), (page.items.len() as i64, 5));
        if page.items.is_empty() {
            break;
        }
        offset += page.count;
        seen.extend(page.into_inner().items.into_iter().map(|p| p.name));
    }
    let expected: Vec<Option<String>> = (0..5).map(|i| Some(format!("simple {i}"))).collect();
    assert_eq!(seen, expected, "each once, in order");
    Ok(())
}

#[tokio::test]
async fn optimizations_and_simulations_list_in_their_envelopes() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let a = stand_in.add_optimization(ionworks::testing::Schedule::manual());
    let b = stand_in.add_optimization(ionworks::testing::Schedule::manual());
    let listed = client.list_optimizations().send().await?;
    let ids: Vec<&str> = listed.optimizations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!((ids, listed.total), (vec![a.as_str(), b.as_str()], Some(2)));
    let second = client
        .list_optimizations()
        .limit(1)
        .offset(1)
        .send()
        .await?;
    assert_eq!(second.optimizations.len(), 1);
    assert_eq!(
        (second.optimizations[0].id.as_str(), second.total),
        (b.as_str(), Some(2))
    );
    let elsewhere = client
        .list_optimizations()
        .project_id("another")
        .send()
        .await?;
    assert_eq!(
        (elsewhere.optimizations.len(), elsewhere.total),
        (0, Some(0))
    );

    let simulations = client.list_simulations().limit(10).send().await?;
    assert_eq!((simulations.simulations.len(), simulations.total), (0, 0));
    Ok(())
}

#[tokio::test]
async fn jobs_list_in_pages_filtered_by_status() -> Result {
    use ionworks::testing::Schedule;
    use ionworks::types::JobStatus;
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let ids: Vec<String> = (0..3)
        .map(|_| stand_in.add_job(Schedule::manual()))
        .collect();
    stand_in.complete_job(&ids[1], Map::new());
    let all = client.list_jobs().send().await?;
    let listed: Vec<&str> = all.items.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(
        (listed, all.count, all.total),
        (ids.iter().map(String::as_str).collect(), 3, 3)
    );
    let done = client
        .list_jobs()
        .status(JobStatus::Completed)
        .send()
        .await?;
    assert_eq!(
        done.items
            .iter()
            .map(|j| j.job_id.as_str())
            .collect::<Vec<_>>(),
        [ids[1].as_str()]
    );
    let page = client.list_jobs().limit(1).offset(2).send().await?;
    assert_eq!(
        (page.items[0].job_id.as_str(), page.count, page.total),
        (ids[2].as_str(), 1, 3)
    );
    Ok(())
}

#[tokio::test]
async fn a_project_lists_its_cell_specifications_as_a_plain_array() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let project = client
        .create_project()
        .body(ProjectCreate::builder().name("Cells"))
        .send()
        .await?;
    let listed = client
        .list_project_cell_specifications()
        .project_id(&project.id)
        .send()
        .await?;
    assert!(listed.is_empty(), "{listed:?}");
    Ok(())
}

#[tokio::test]
async fn a_create_missing_a_required_field_is_refused_before_sending() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let err = client
        .create_project()
        .body(ProjectCreate::builder().description(Some("no name".into())))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
    assert!(stand_in.requests().is_empty(), "nothing was sent");
    Ok(())
}

#[tokio::test]
async fn create_or_get_returns_the_existing_resource_on_a_conflict() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let create = || {
        client
            .create_cell_specification()
            .body(CellSpecificationCreate::builder().name("NMC811 21700"))
            .send()
    };
    let get = |id: String| {
        let client = &client;
        async move {
            client
                .get_cell_specification()
                .cell_spec_id(id)
                .send()
                .await
        }
    };
    let first = ionworks::create_or_get(create(), get).await?;
    let again = ionworks::create_or_get(create(), get).await?;
    assert_eq!(first.id, again.id);
    let creates = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 2, "the second create conflicted");
    // Another error is not turned into a get.
    stand_in.inject(ionworks::testing::Fault::Status(400), 1);
    let err = ionworks::create_or_get(create(), get).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    Ok(())
}
